// Command oauth is the Lambda function behind Keystorm's OAuth 2.0
// endpoints, and of the other public routes:
//
//	POST /oauth/token                                 client_credentials grant (RFC 6749 §4.4), on both APIs, public
//	POST /v1/applications/{applicationId}/oauth/token the same, for keys of that application only, public
//	POST /oauth/revoke                                RFC 7009 revocation, public (client authenticates with Basic)
//	POST /oauth/introspect                            RFC 7662 introspection, admin keys, behind the authorizer
//	GET  /.well-known/jwks.json                       the public signing keys, public, cacheable 300 s
//	GET  /openapi.json                                the OpenAPI 3.1 document of the whole API, public
//
// The POST endpoints are declared for ANY method in template.yaml so that
// other methods get a 405 in OAuth's error format. Clients authenticate
// with HTTP Basic (API key id and secret); a source address that keeps
// failing is throttled in memory, per key id and overall (domain.Throttle),
// never a key id for everyone.
//
// It signs with the private JWK Set in the Secrets Manager secret
// $TOKEN_KEYS_SECRET, KMS-encrypted, loaded lazily on the first signature
// and cached for 5 minutes (only it and the rotation function may read
// the secret). When the provisioned secret is still empty, the first token
// request creates the first key and publishes it (infra/rotation.Run with
// no rotation period) before signing with it; rotating is left to the
// rotation function (functions/rotate), the one rotator.
//
// The JWKS endpoint serves the published document, the views table's
// jwks#current item (infra/dynamo Store.GetJWKS), which is exactly what
// the authorizer verifies with: one source of truth, and a public route
// that never touches the secret or KMS. Before anything is published it
// serves {"keys":[]}.
//
// Environment: TOKEN_KEYS_SECRET, TOKEN_ISSUER, TOKEN_AUDIENCE (required;
// for local runs only, TOKEN_KEYS_DIR, a key file directory, replaces
// TOKEN_KEYS_SECRET, as for functions/rotate);
// EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION (infra/dynamo);
// KEYSTORM_BASE_URL (optional, the base of the token's sub); LOG_LEVEL.
//
// Sample events for `sam local invoke OAuthFunction -e` are in testdata/.
package main
