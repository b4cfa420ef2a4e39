// Package backend is net/http middleware for a provider's backend that is
// not behind API Gateway, and so not behind Keystorm's Lambda authorizer:
// a container, a VM, a server on a laptop. It accepts the same credentials
// the authorizer accepts, for one application, and hands the handler the
// same authctx.Identity the authorizer would have put in
// requestContext.authorizer, so one handler runs behind either.
//
// # Why two paths
//
// Bearer access tokens are ES256 JWTs (RFC 9068) whose public keys are
// published at /.well-known/jwks.json. They are verified offline, in
// process: one signature check and the claims (iss, aud bound to the
// application, exp/nbf/iat with 30 s of leeway) per request, against a
// JWKS that is cached and refetched when a token names a kid it does not
// know (at most once a minute, as infra/tokens does). A request with a
// token costs no network call at all once the JWKS is cached.
//
// An API key id and secret (HTTP Basic) cannot be checked offline: only
// Keystorm holds the secret's hash and the key's status. The middleware
// sends the header to POST /v1/applications/{id}/authenticate, which makes
// the authorizer's very decision (the binding to the application, the key,
// account and application status, the per-caller throttle), with an admin
// key of the tenant. Valid answers are cached for a few seconds, never
// longer than the cacheTtlSeconds the endpoint itself answers (the
// authorizer's own TTL, the bound within which a disabled key stops
// working), so a busy caller costs one call per TTL instead of one per
// request.
//
// # What offline verification cannot see
//
// A signature says who a token was issued to and until when; it cannot say
// that the token was revoked (POST /oauth/revoke), or that its key, its
// account or its application was disabled or deleted since. Verified
// offline, such a token keeps passing until it expires: up to its
// application's accessTokenTtl (one hour by default, one day at most).
// The authorizer closes that gap with a store read per token per TTL; this
// middleware cannot read the store. Config.CheckBearerOnline sends Bearer
// tokens through the authenticate endpoint as well (after the offline
// check, and cached like Basic), which bounds revocation by the cache TTL
// again, at the price of one call per token per TTL.
//
// # Failing closed
//
// Every doubt refuses: a missing, malformed or wrong credential is a 401,
// a token or key without a scope the route needs is a 403, and when the
// endpoint or the JWKS cannot be reached, or answers anything but a
// decision, the request is a 503 (code 8501), never a 200. Answers use
// Keystorm's error body. Internal error texts reach only the log, as slog
// attributes under the requestId of the answer; the Authorization header,
// the secret and the token are never logged, and the Basic cache keeps
// only SHA-256 digests of header values, never a secret.
//
// # Time
//
// Every expiry (cache entries, the JWKS's TTL, token exp) is judged by a
// domain.Clock. New requires one, so tests control time;
// NewProduction, for a program's main, defaults it to the wall clock.
package backend
