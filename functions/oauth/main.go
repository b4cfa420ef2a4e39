package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

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
		Tokens: &domain.TokenService{Store: store, Signer: &firstKeySigner{keys: keys, store: store, Signer: tokens.NewSigner(keys, nil)},
			Verifier: tokens.NewVerifier(tokens.StoreKeys{Store: keys}, issuer, audience),
			Limiter:  dynamo.NewLimiter(store), Clock: svc.Clock, IDs: svc.IDs, Issuer: issuer, Audience: audience},
		// The published document, the one the authorizer verifies with:
		// one source of truth, and a public endpoint that never reads the
		// private secret.
		JWKS: tokens.PublishedJWKS(store.GetJWKS),
	}
	lambda.Start(httpadapter.New(api.Handler(httpapi.OAuthFamily)).ProxyWithContext)
}

// firstKeySigner creates the first signing key when the provisioned secret
// is still empty (the template creates it so) and publishes it before
// signing with it, so a fresh deployment works before RotateFunction first
// runs. It never rotates (every = 0): RotateFunction is the one rotator.
type firstKeySigner struct {
	*tokens.Signer
	keys  tokens.KeyStore
	store *dynamo.Store
	mu    sync.Mutex
}

func (s *firstKeySigner) Sign(ctx context.Context, t domain.AccessToken) (string, error) {
	signed, err := s.Signer.Sign(ctx, t)
	if !errors.Is(err, tokens.ErrNoSigningKey) {
		return signed, err
	}
	s.mu.Lock()
	now := time.Now()
	_, rerr := rotation.Run(ctx, s.keys, func(ctx context.Context, doc []byte) error { return s.store.PutJWKS(ctx, doc, now) }, now, 0)
	s.mu.Unlock()
	if rerr != nil {
		return "", rerr
	}
	return s.Signer.Sign(ctx, t)
}
