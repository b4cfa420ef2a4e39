package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/tokens"
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
		// No network call at init: credentials resolve on first use.
		awsCfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			runtime.Fatal("aws config", err)
		}
		client := secretsmanager.NewFromConfig(awsCfg)
		// A fresh store per invocation: never rotate a cached ring.
		keys = func() tokens.KeyStore { return tokens.NewSecretsManagerStore(client, secret, 0, domain.SystemClock) }
	}
	store := store.FromEnv()
	h := &rotation.Handler{Keys: keys, Publish: store.PutJWKS, Every: every, Clock: domain.SystemClock}
	lambda.Start(h.Invoke)
}
