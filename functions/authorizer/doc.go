// Command authorizer is the Lambda authorizer in front of every Keystorm
// API (management and example), for every API Gateway flavour from one
// function: REST API TOKEN and REQUEST authorizers, and HTTP API payload
// 2.0 authorizers with the simple or the IAM policy response. It accepts
// HTTP Basic (API key id and secret) and Bearer (access tokens) on the
// same API. It only wires: configuration from the environment, a lazily
// connecting DynamoDB client, a lazily read JWKS, and infra/authorizer's
// Handler, whose Invoke dispatches on the event's shape and where all the
// logic and its tests live.
//
// # Environment
//
//   - EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION
//     (infra/dynamo).
//   - AUTH_CACHE_TTL: whole seconds (0-3600, default 5) for which key and
//     account states, and each token's liveness (revocation, key and
//     account status), are reused in memory. This is the function's part
//     of the revocation bound; API Gateway's authorizer cache adds its own
//     TTL in front.
//   - KEYSTORM_BASE_URL: optional absolute URL that prefixes account hrefs
//     instead of the one derived from the request.
//   - AUTHORIZER_HTTP_API_RESPONSE: "simple" (default) or "iam": how HTTP
//     API payload 2.0 events are answered. It must match the authorizer's
//     EnableSimpleResponses setting, which the event does not carry.
//   - TOKEN_JWKS_FILE, TOKEN_ISSUER, TOKEN_AUDIENCE: all three or none.
//     TOKEN_JWKS_FILE is a JWK Set (the document served at
//     /.well-known/jwks.json) holding the ES256 public keys of the token
//     signer; it is read on the first Bearer request and reread every 10
//     minutes or on an unknown kid (at most once a minute), so a rotation
//     needs no redeploy as long as the file is updated. TOKEN_ISSUER and
//     TOKEN_AUDIENCE are what a token's iss and aud must be. Without them
//     Bearer credentials are refused (401) and only Basic works.
//
// # Flavours and API Gateway's cache
//
// REST REQUEST: the Allow covers the route template (the cache key holds
// the method and resource). REST TOKEN and HTTP API IAM: the Allow covers
// the stage (arn:...:{apiId}/{stage}/*/*), because API Gateway caches those
// answers under the token or identity sources alone and reuses them on
// every route, and the decision does not depend on the route. TOKEN events
// carry no stage variables, so the rule that developer credentials are
// denied on the management API needs a REQUEST (or HTTP API) authorizer
// there. Sample events for each flavour are in testdata/.
package main
