// Package signing opens the access-token signing keys of the OAuth
// function, as the environment names them.
//
// It is apart from package runtime so that only the function that signs
// tokens links the Secrets Manager client (infra/tokens/secretsmanager)
// and the key rotation code: the SDK's per-service schemas and endpoint
// tables run their package init on every cold start of every binary that
// imports them, about a millisecond for Secrets Manager (see
// scripts/coldstart). The client is configured from the Lambda variables
// (infra/awsenv), not the SDK's default chain, for the same reason.
package signing
