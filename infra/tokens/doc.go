// Package tokens signs and verifies Keystorm's OAuth 2.0 access tokens:
// JWTs in the RFC 9068 profile, signed with ES256 under rotating keys.
//
// Why a package of its own: the private signing key must stay in one
// place. The token endpoint signs with a Keyring loaded from a KeyStore
// (a 0600 file next to the local data, or an AWS Secrets Manager secret
// fetched lazily and never logged); everything that only verifies — the
// authorizer, resource servers, introspection — gets a PublicKeySource,
// typically the published JWKS, and never sees private material.
//
// Signing, JWK and JWKS work is done by github.com/go-jose/go-jose/v4.
// Verification parses the compact JWS itself (verifier.go: strict
// base64url, ES256 only) and checks the one signature with crypto/ecdsa,
// because go-jose's parse cost half again the signature check on every
// Bearer miss; a differential fuzz test (FuzzVerifyAgreesWithJose) holds
// it to go-jose's answers. No cryptography is written by hand:
//
//   - Signing: header {alg: ES256, typ: at+jwt, kid}; claims iss, sub,
//     aud, client_id, exp, iat, nbf (= iat), jti, scope (space-delimited,
//     omitted when empty), and Keystorm's tenant_id, application_id,
//     account_id and admin. Lifetimes above domain.MaxAccessTokenTTL are
//     refused.
//   - Verification: the algorithm allow-list is ES256 alone (so "none",
//     HMAC confusion, RS256… fail at parse time, before any key is
//     looked at); no crit or b64 header; typ must be at+jwt;
//     the kid must name a known key and exactly one signature check is
//     made, against that key; exp, nbf and iat are checked with a small
//     leeway, iss and aud exactly, and the required claims must be
//     present. Every rejection wraps domain.ErrInvalidToken; a key source
//     that cannot answer is a different error, so callers deny on doubt
//     without mistaking an outage for a bad token.
//   - Rotation: Keyring.Rotate adds the next key PublishAhead before the
//     current one is due, published in the JWKS at once but signing only
//     from its due time, when the old key retires by itself. A retired key
//     stays in the JWKS for VerifyWindow (the longest token lifetime plus
//     a minute of clock leeway) and is then dropped. Verifiers that cache
//     the JWKS also refetch it on an unknown kid (at most once a minute).
//     Only a brand-new ring's first key signs at once. Rotation must run
//     in one place at a time (infra/rotation from a single scheduled job,
//     or the local server at start): Secrets Manager has no
//     compare-and-swap, and two concurrent rotations would lose one of the
//     new keys. On AWS the public JWKS is published to the views table
//     and read back through PublishedJWKS.
package tokens
