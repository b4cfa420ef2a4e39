package tokens

import "time"

// SecretsEnv names the environment variable holding the id of the
// Secrets Manager secret of the signing keys (infra/tokens/secretsmanager,
// a package of its own so that binaries that only verify do not link the
// Secrets Manager client).
const SecretsEnv = "TOKEN_KEYS_SECRET"

// DefaultSecretCache is how long a Secrets Manager store
// (infra/tokens/secretsmanager) reuses a ring.
const DefaultSecretCache = 5 * time.Minute
