package signing

import (
	"time"

	"github.com/keystorm/keystorm/domain"
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
