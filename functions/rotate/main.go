package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/tokens/secretsmanager"
)

func main() {
	runtime.SetupLogging()
	every, err := rotation.ParseEvery(os.Getenv(rotation.EveryEnv))
	if err != nil {
		runtime.Fatal("configuration", err)
	}
	dir, secret, err := rotation.KeySourceFromEnv()
	if err != nil {
		runtime.Fatal("configuration", err)
	}
	var keys func() tokens.KeyStore
	if dir != "" {
		store := tokens.NewFileStore(dir, domain.SystemClock)
		keys = func() tokens.KeyStore { return store }
	} else {
		// From the Lambda variables (infra/awsenv), not the SDK's default
		// chain; no network call at init.
		client, err := secretsmanager.NewClient()
		if err != nil {
			runtime.Fatal("secrets manager client", err)
		}
		// A fresh store per invocation: never rotate a cached ring.
		keys = func() tokens.KeyStore { return secretsmanager.NewStore(client, secret, 0, domain.SystemClock) }
	}
	store := store.FromEnv()
	h := &rotation.Handler{Keys: keys, Publish: store.PutJWKS, Every: every, Clock: domain.SystemClock}
	lambda.Start(h.Invoke)
}
