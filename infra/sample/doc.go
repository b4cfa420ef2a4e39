// Package sample gives the sample events of functions/<name>/testdata a
// world in which they are true, so that a function binary invoked with
// one (scripts/invoke, the emulator tests) answers as it would in
// production instead of 404 or 401.
//
// # Why
//
// The samples are real API Gateway payloads, kept valid for `sam local
// invoke -e` and checked against template.yaml (infra/template). So they
// cannot carry real ids or credentials: they are written in a small,
// fixed vocabulary (TenantID "tnt_sample", DeveloperKeyID
// "ak_dev_sample", Basic credentials of "ak_sample:kss_sample_admin_secret",
// Bearer tokens signed by a kid no JWKS holds...). Start seeds an embedded
// DynamoDB (infra/embedded) with one real counterpart of each through
// domain.Service, and Fill rewrites a sample into the same event about
// those real things. The sample files themselves never change, so the
// tests that check their shape, or that the placeholders are refused,
// keep reading them as they are.
//
// # The world
//
// Start bootstraps a tenant (its administrators' application, the admin
// account and admin key, and the developers' application), adds the
// developer account DeveloperUsername with one API key, and puts the
// developer in an enabled group named Scope, so a token request for that
// scope is granted. It creates an ES256 signing key in a key file
// directory (tokens.FileStore; the functions read it through
// TOKEN_KEYS_DIR) and publishes its JWKS in the views table, where the
// authorizer (TOKEN_JWKS_SOURCE=dynamodb) and the OAuth function's JWKS
// endpoint read it, as the rotation function does when deployed.
//
// # What Fill rewrites
//
// Every string of the event, wherever it sits (headers and
// multiValueHeaders, path and pathParameters, the authorizer context,
// identitySource, authorizationToken, the body):
//
//   - the sample ids become the seeded ids (see IDs);
//   - Basic credentials of a sample key become the real key's id and
//     secret;
//   - a JWT whose kid the world's key file does not hold (every sample
//     token) becomes a fresh access token of the key its client_id claim
//     names (the developer's when it names none), for the scope it
//     carried, signed with the world's key. One sample token becomes one
//     fresh token throughout the event, so a header and its multi-value
//     twin still agree.
//
// Then the authorizer context's applicationId follows its accountId (the
// admin belongs to the administrators' application), and a Content-Length
// header follows a body that changed length. Anything else, an event
// about other ids included, passes unchanged.
package sample
