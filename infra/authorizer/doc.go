// Package authorizer is Keystorm's API Gateway Lambda authorizer: it turns
// an Authorization header into an Allow or a Deny that API Gateway enforces
// and caches, and into the authorizer context (infra/authctx) the functions
// behind the gateway read.
//
// # Why it is split in three
//
// The authorizer will speak more than one dialect: HTTP Basic with an API
// key id and secret today; Bearer access tokens, TOKEN authorizers and HTTP
// API (v2) payloads later. Each of those differs in only one place, so the
// package keeps three layers apart:
//
//   - Parsing (ParseAuthorization) turns the raw header into Credentials. It
//     is pure, bounded and fuzzed: it never touches a store and refuses
//     anything ambiguous, so the layers below only see canonical input. A
//     new scheme is one more case here.
//   - Deciding (Decider.Decide) turns Credentials into a Decision, or into
//     ErrUnauthorized ("these credentials are not good") or another error
//     ("could not decide"). It knows nothing of API Gateway.
//   - Adapting (Handler.HandleRequest) maps one API Gateway payload to a
//     header, and a Decision to that payload's answer: the policy, the
//     principal, the context. A v2 "simple response" adapter would sit next
//     to it and reuse everything above.
//
// # Deny on any doubt
//
// A missing or malformed header, an unknown key, a wrong secret, and a
// disabled or deleted key or account all answer the error "Unauthorized",
// which API Gateway turns into 401; they are indistinguishable to the
// caller. When the decision cannot be made (the store fails or times out,
// the event is inconsistent, the code panics) the answer is an explicit Deny
// policy (API Gateway answers 403), logged without the header or secret. No
// path answers Allow because of an error.
//
// # Policies and API Gateway's cache
//
// API Gateway caches the policy under the authorizer's identity sources,
// which template.yaml sets to the Authorization header, the HTTP method and
// the resource path (the route template, e.g. /troopers/{id}/equipment). The
// Allow policy therefore grants exactly that template: the methodArn's
// "arn:...:{apiId}/{stage}/" prefix, the method, and the template with every
// path parameter replaced by "*" (RouteResource). A cached Allow can then be
// reused for another id on the same route, as intended, and for nothing
// else. Which ids a caller may touch is the functions' job (tenant checks).
//
// # Revocation bound
//
// Key and account states are cached in the Lambda for Config.CacheTTL
// (AUTH_CACHE_TTL, default 5 s) by domain.KeyAuthenticator; the secret is
// hashed and compared on every call. A disabled or deleted key or account
// stops authenticating within CacheTTL here, plus API Gateway's own
// ReauthorizeEvery in front of it.
package authorizer
