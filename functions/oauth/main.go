package main

import (
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/signing"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/usage"
)

func main() {
	runtime.SetupLogging()
	issuer, audience := os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE")
	if issuer == "" || audience == "" {
		runtime.Fatal("configuration", errors.New("TOKEN_ISSUER and TOKEN_AUDIENCE are required"))
	}
	// TOKEN_KEYS_SECRET as deployed, TOKEN_KEYS_DIR for local runs; no
	// network call at init: the secret loads on first use.
	keys := signing.TokenKeys(domain.SystemClock, tokens.DefaultSecretCache)
	store := store.FromEnv()
	svc := domain.NewService(store)
	svc.Usage = store
	// Client authentications count as the key's verifications, as the
	// authorizer's do: in memory, written at most once a minute per key.
	rec := &usage.Recorder{Store: store, Clock: svc.Clock}
	// The authenticate endpoint makes the authorizer's decision: the same
	// configuration (AUTH_CACHE_TTL), with this function's verifier.
	authCfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		runtime.Fatal("configuration", err)
	}
	verifier := tokens.NewVerifier(tokens.StoreKeys{Store: keys}, issuer, audience, svc.Clock)
	authCfg.Verifier = verifier
	authCfg.Usage = rec
	api := httpapi.API{Svc: svc, Decider: authorizer.New(store, svc.Clock, authCfg).Decider, AuthCacheTTL: authCfg.CacheTTL,
		Tokens: &domain.TokenService{Store: store, Signer: &rotation.FirstKeySigner{Signer: tokens.NewSigner(keys, svc.Clock), Keys: keys, Publish: store.PutJWKS, Clock: svc.Clock},
			Verifier: verifier,
			Throttle: domain.NewThrottle(svc.Clock), Clock: svc.Clock, IDs: svc.IDs, Issuer: issuer, Audience: audience, Accounts: svc, Usage: rec},
		// The published document, the one the authorizer verifies with:
		// one source of truth, and a public endpoint that never reads the
		// private secret.
		JWKS: tokens.PublishedJWKS(store.GetJWKS),
	}
	lambda.Start(runtime.Proxy(api.Handler(httpapi.OAuthFamily)))
}
