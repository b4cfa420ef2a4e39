package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/tokens"
)

func main() {
	runtime.SetupLogging()
	issuer, audience := os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE")
	if issuer == "" || audience == "" {
		runtime.Fatal("configuration", errors.New("TOKEN_ISSUER and TOKEN_AUDIENCE are required"))
	}
	// No network call at init: credentials and the secret load on first use.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		runtime.Fatal("aws config", err)
	}
	keys, err := tokens.SecretsManagerStoreFromEnv(secretsmanager.NewFromConfig(awsCfg), tokens.DefaultSecretCache)
	if err != nil {
		runtime.Fatal("signing keys", err)
	}
	store := runtime.Store()
	svc := domain.NewService(store)
	api := httpapi.API{Svc: svc,
		Tokens: &domain.TokenService{Store: store, Signer: &rotation.FirstKeySigner{Signer: tokens.NewSigner(keys, nil), Keys: keys, Publish: store.PutJWKS, Clock: svc.Clock},
			Verifier: tokens.NewVerifier(tokens.StoreKeys{Store: keys}, issuer, audience),
			Limiter:  dynamo.NewLimiter(store), Clock: svc.Clock, IDs: svc.IDs, Issuer: issuer, Audience: audience},
		// The published document, the one the authorizer verifies with:
		// one source of truth, and a public endpoint that never reads the
		// private secret.
		JWKS: tokens.PublishedJWKS(store.GetJWKS),
	}
	lambda.Start(httpadapter.New(api.Handler(httpapi.OAuthFamily)).ProxyWithContext)
}
