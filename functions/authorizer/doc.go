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
//   - TOKEN_ISSUER, TOKEN_AUDIENCE: what a token's iss and aud must be;
//     both or neither. Without them Bearer credentials are refused (401)
//     and only Basic works.
//   - TOKEN_JWKS_SOURCE: where the ES256 public keys of the token signer
//     come from. "dynamodb" (the default when TOKEN_JWKS_FILE is unset,
//     and what template.yaml sets) reads the JWK Set the rotation function
//     publishes in the views table (item jwks#current, one strongly
//     consistent GetItem, which the function's IAM policy already allows):
//     no access to the private secret, and no reference to the API's URL,
//     which would be a CloudFormation cycle. Nothing published yet reads
//     as no keys (Bearer refused with 401). "file" (the default when
//     TOKEN_JWKS_FILE is set) reads TOKEN_JWKS_FILE, a JWK Set document,
//     for local runs and tests. Either is read on the first Bearer request
//     and reread every 5 minutes or on an unknown kid (at most once a
//     minute), so a rotation needs no redeploy.
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
