package signing

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/tokens"
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
	// The default chain, not a static configuration from the Lambda
	// variables: it honours AWS_ENDPOINT_URL_SECRETS_MANAGER (the tests
	// point it at a dead port) and costs well under a millisecond when no
	// shared config file exists, as on Lambda.
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		runtime.Fatal("aws config", err)
	}
	return tokens.NewSecretsManagerStore(secretsmanager.NewFromConfig(awsCfg), secret, cacheFor, clock)
}
