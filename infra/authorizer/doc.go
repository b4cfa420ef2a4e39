// Package authorizer is Keystorm's API Gateway Lambda authorizer: it turns
// an Authorization header into an Allow or a Deny that API Gateway enforces
// and caches, and into the authorizer context (infra/authctx) the functions
// behind the gateway read.
//
// # Why it is split in three
//
// The authorizer speaks several dialects: HTTP Basic with an API key id and
// secret, Bearer access tokens, and four API Gateway payloads (REST TOKEN,
// REST REQUEST, HTTP API 2.0 with a simple or an IAM policy response). Each
// differs in only one place, so the package keeps three layers apart:
//
//   - Parsing (ParseAuthorization) turns the raw header into Credentials. It
//     is pure, bounded and fuzzed: it never touches a store and refuses
//     anything ambiguous, so the layers below only see canonical input.
//   - Deciding (Decider.Decide) turns Credentials into a Decision: Basic
//     through domain.KeyAuthenticator, Bearer through
//     domain.TokenAuthenticator (a signature check and a liveness read the
//     first time a token is seen, then its decision cached for the TTL,
//     never past the token's exp). It answers
//     ErrUnauthorized ("these credentials are not good") or another error
//     ("could not decide"), and knows nothing of API Gateway.
//   - Adapting maps one payload to a header, and a Decision to that
//     payload's answer: HandleRequest, HandleToken, HandleHTTPAPISimple and
//     HandleHTTPAPIIAM. Invoke (lambda.Handler) takes the raw event and
//     dispatches on its version and type, so one function serves every
//     flavour.
//
// # Deny on any doubt
//
// A missing or malformed header, an unknown key, a wrong secret, a bad,
// expired or revoked token, and a disabled or deleted key or account all
// answer the error "Unauthorized", which API Gateway turns into 401; they
// are indistinguishable to the caller. When the decision cannot be made
// (the store fails or times out, the token keys cannot be read, the event
// is inconsistent, the code panics) the answer is an explicit Deny policy
// (API Gateway answers 403), logged without the header, secret or token.
// The HTTP API simple response has only isAuthorized false for all of
// these. An event of no known flavour fails the invocation (500). No path
// answers Allow because of an error.
//
// # Policies and API Gateway's cache
//
// A cached Allow must not grant what the decision did not cover. The
// decision itself never depends on the route: Basic and Bearer say who the
// caller is (and with which scopes); which ids and scopes a route needs is
// the functions' job. Only the management API rule depends on the API,
// through its stage variable, which is fixed per stage.
//
//   - REST REQUEST: template.yaml makes the cache key the Authorization
//     header, the HTTP method and the resource path, so the Allow grants
//     exactly the route template: the methodArn's "arn:...:{apiId}/{stage}/"
//     prefix, the method, and the template with every path parameter
//     replaced by "*" (RouteResource).
//   - REST TOKEN: API Gateway caches by the token alone and reuses the
//     policy on every route of the stage; a policy for one methodArn would
//     answer 403 on the next route. The Allow therefore covers the stage,
//     "arn:...:{apiId}/{stage}/*/*" (StageResource), which is exactly what
//     the route-independent decision covers. TOKEN events carry no stage
//     variables, so the management API must use REQUEST.
//   - HTTP API: cached by the identity sources across routes, so the IAM
//     response's Allow covers the stage too, and the simple response has
//     no resource at all. The management API rule applies (payload 2.0
//     carries the stage variables).
//
// Should a decision ever depend on the route (say, scopes enforced here),
// the cache key must include the route ($context.routeKey, or the method
// and resource) and the policy must be narrowed to it.
//
// # Revocation bound
//
// Key and account states are cached in the Lambda for Config.CacheTTL
// (AUTH_CACHE_TTL, default 5 s) by domain.KeyAuthenticator; the secret is
// hashed and compared on every call. For Bearer tokens
// domain.TokenAuthenticator checks the signature and claims, then whether
// the token is revoked and its key, account and application enabled, and
// keeps that decision per token (by the SHA-256 of the token) for the same
// TTL, never past the token's exp; a token that fails verification is
// never cached. A disabled or deleted key or account, or a revoked
// token, stops authenticating within CacheTTL here, plus API Gateway's own
// authorizer cache TTL in front of it.
package authorizer
