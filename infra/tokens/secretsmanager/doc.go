// Package secretsmanager keeps the token signing Keyring in an AWS Secrets
// Manager secret (Store), for the functions that sign or rotate keys.
//
// It is apart from package tokens because the authorizer, which links
// tokens to verify, never reads the secret: every package a binary links
// runs its init on every cold start, and the Secrets Manager client's
// schemas and endpoint table are about 1.5 ms of it (scripts/coldstart).
// The variable naming the secret and the cache period stay in tokens
// (tokens.SecretsEnv, tokens.DefaultSecretCache), as configuration that
// needs no SDK.
package secretsmanager
