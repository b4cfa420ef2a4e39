package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/usage"
)

func main() {
	runtime.SetupLogging()
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		runtime.Fatal("authorizer: bad configuration", err)
	}
	store := store.FromEnv()
	// Either way the keys are read on the first Bearer request, not at
	// init, and reread every tokens.DefaultJWKSTTL or on an unknown kid
	// (at most once a minute), so a rotated key is picked up without a
	// redeploy.
	var fetch func(context.Context) ([]byte, error)
	switch cfg.TokenJWKSSource {
	case authorizer.JWKSFromFile:
		path := cfg.TokenJWKSFile
		fetch = func(context.Context) ([]byte, error) { return os.ReadFile(path) }
	case authorizer.JWKSFromDynamoDB:
		// The document the rotation function publishes: one GetItem on
		// the views table, no private key.
		fetch = tokens.PublishedJWKS(store.GetJWKS)
	}
	if fetch != nil {
		cfg.Verifier = tokens.NewVerifier(tokens.NewJWKSSource(fetch, domain.SystemClock), cfg.TokenIssuer, cfg.TokenAudience, domain.SystemClock)
	}
	// Verifications are counted in memory and written a key at a time,
	// at most once a minute, never per request (infra/usage).
	cfg.Usage = &usage.Recorder{Store: store, Clock: domain.SystemClock}
	// The Handler takes the raw event and answers every API Gateway
	// flavour (see authorizer.Handler.Invoke).
	h := authorizer.New(store, domain.SystemClock, cfg)
	h.Metrics = runtime.Emitter()
	lambda.Start(h)
}
