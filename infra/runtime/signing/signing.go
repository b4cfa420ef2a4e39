package signing

import (
	"errors"
	"os"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/tokens"
	"github.com/keystorm/keystorm/infra/tokens/secretsmanager"
)

// TokenKeys opens the access-token signing keys where the environment
// says (rotation.KeySourceFromEnv): the Secrets Manager secret
// $TOKEN_KEYS_SECRET as deployed, cached for cacheFor; or, for local runs
// and tests only (scripts/invoke), the key file directory $TOKEN_KEYS_DIR
// (tokens.FileStore), which template.yaml never sets. Neither or both is
// fatal, with a message naming both. It makes no network call: the secret
// is read on first use, so init stays fast.
func TokenKeys(clock domain.Clock, cacheFor time.Duration) tokens.KeyStore {
	dir, secret, err := rotation.KeySourceFromEnv()
	if err != nil {
		runtime.Fatal("signing keys: configuration", err)
	}
	if dir != "" {
		return tokens.NewFileStore(dir, clock)
	}
	// From the Lambda variables, not the SDK's default chain, whose
	// package (config, with the STS and SSO clients) would add its init to
	// every cold start; AWS_ENDPOINT_URL_SECRETS_MANAGER is still honoured
	// (the tests point it at a dead port).
	client, err := secretsmanager.NewClient()
	if err != nil {
		runtime.Fatal("secrets manager client", err)
	}
	return secretsmanager.NewStore(client, secret, cacheFor, clock)
}

// Issuer reads TOKEN_ISSUER and TOKEN_AUDIENCE, which every token a
// function signs carries and every verification checks; either missing
// is fatal.
func Issuer() (issuer, audience string) {
	issuer, audience = os.Getenv("TOKEN_ISSUER"), os.Getenv("TOKEN_AUDIENCE")
	if issuer == "" || audience == "" {
		runtime.Fatal("configuration", errors.New("TOKEN_ISSUER and TOKEN_AUDIENCE are required"))
	}
	return issuer, audience
}

// Tokens is the token service of a function that signs (the OAuth
// function and the console): keys from TokenKeys, the first key made and
// published on first use (rotation.FirstKeySigner), verification against
// the same keys, the failure throttle, and svc for the password grant.
// usage counts the key verifications of client authentications.
func Tokens(svc *domain.Service, st *dynamo.Store, issuer, audience string, usage domain.UsageSink) (*domain.TokenService, *tokens.Verifier) {
	// No network call at init: the secret loads on first use.
	keys := TokenKeys(domain.SystemClock, tokens.DefaultSecretCache)
	verifier := tokens.NewVerifier(tokens.StoreKeys{Store: keys}, issuer, audience, svc.Clock)
	return &domain.TokenService{Store: st,
		Signer:   &rotation.FirstKeySigner{Signer: tokens.NewSigner(keys, svc.Clock), Keys: keys, Publish: st.PutJWKS, Clock: svc.Clock},
		Verifier: verifier, Throttle: domain.NewThrottle(svc.Clock), Clock: svc.Clock, IDs: svc.IDs,
		Issuer: issuer, Audience: audience, Accounts: svc, Usage: usage}, verifier
}
