package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/signing"
	"github.com/keystorm/keystorm/infra/runtime/store"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/usage"
)

func main() {
	runtime.SetupLogging()
	issuer, audience := signing.Issuer()
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
	// TOKEN_KEYS_SECRET as deployed, TOKEN_KEYS_DIR for local runs.
	tokenSvc, verifier := signing.Tokens(svc, store, issuer, audience, rec)
	authCfg.Verifier = verifier
	authCfg.Usage = rec
	api := httpapi.API{Svc: svc, Decider: authorizer.New(store, svc.Clock, authCfg).Decider, AuthCacheTTL: authCfg.CacheTTL,
		Tokens: tokenSvc,
		// The published document, the one the authorizer verifies with:
		// one source of truth, and a public endpoint that never reads the
		// private secret.
		JWKS: tokens.PublishedJWKS(store.GetJWKS),
	}
	lambda.Start(runtime.Proxy(api.Handler(httpapi.OAuthFamily)))
}
