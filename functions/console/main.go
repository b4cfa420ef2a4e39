package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/console"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/mailer"
	"github.com/keystorm/keystorm/infra/runtime/signing"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/usage"
)

func main() {
	runtime.SetupLogging()
	app := os.Getenv("CONSOLE_APPLICATION_ID")
	if app == "" {
		lambda.Start(runtime.Proxy(console.NotConfigured("set the stack parameter ConsoleApplicationId.")))
		return
	}
	issuer, audience := signing.Issuer()
	st := store.FromEnv()
	svc := domain.NewService(st)
	svc.Usage = st
	mailer.Setup(svc)
	// The test token page authenticates a key: counted as the OAuth
	// function counts it.
	rec := &usage.Recorder{Store: st, Clock: svc.Clock}
	tokens, verifier := signing.Tokens(svc, st, issuer, audience, rec)
	c, err := console.New(console.Config{Service: svc, Tokens: tokens, ApplicationID: app, TryURL: os.Getenv("CONSOLE_TRY_URL"),
		// No cache: a sign-out or a disabled account counts on the next page.
		Sessions: &domain.TokenAuthenticator{Store: st, Verifier: verifier, Clock: svc.Clock}})
	if err != nil {
		runtime.Fatal("console", err)
	}
	lambda.Start(runtime.Proxy(c))
}
