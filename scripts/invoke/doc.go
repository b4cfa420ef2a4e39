// Command invoke builds one Lambda function of this repository and invokes
// it under the real Lambda Runtime Interface Emulator (package infra/rie),
// without Docker or SAM, with nothing to set up: the sample events of
// functions/<name>/testdata answer as they would in production. It is the
// quickest way to see that a function binary starts, answers a real
// Runtime API, and how long its cold start takes.
//
// Usage:
//
//	go run ./scripts/invoke -fn accounts -e functions/accounts/testdata/create.json
//	go run ./scripts/invoke -fn oauth -e functions/oauth/testdata/token.json -e functions/oauth/testdata/introspect.json
//	go run ./scripts/invoke -fn apikeys -e my-event.json -no-seed -env DYNAMODB_ENDPOINT=http://127.0.0.1:8000
//	go run ./scripts/invoke -pkg ./infra/rie/testdata/echo -e - < event.json
//
// # Out of the box (-fn)
//
// -fn NAME builds ./functions/NAME and sets AWS_LAMBDA_FUNCTION_NAME=NAME.
// The samples carry placeholder ids and credentials, which no store
// knows, so by default invoke first starts an embedded DynamoDB
// (infra/embedded) on a loopback port and seeds it through
// domain.Service (infra/sample): a tenant with its admin account and
// admin key, the developers' application, the developer tk421 with an API
// key and a group view_others_equipment, and an ES256 signing key in a
// temporary key directory whose JWKS is published in the views table.
// It then rewrites each event: the sample ids (tnt_sample, app_sample,
// acc_sample, ak_sample, acc_dev_sample, ak_dev_sample) become the seeded
// ones, Basic credentials of the sample keys become the real keys', and
// the sample tokens become fresh access tokens of the key they name. It
// prints the id mapping to stderr.
//
// The function then gets, unless given, every variable it reads that has
// no usable default, and invoke prints each one it defaulted to stderr:
//
//	every function but example   DYNAMODB_ENDPOINT, EVENTS_TABLE, VIEWS_TABLE (the embedded store),
//	                             AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (dummies: the store
//	                             checks no signature, and your own credentials stay out)
//	authorizer                   TOKEN_ISSUER, TOKEN_AUDIENCE (urn:keystorm:local[:api]),
//	                             TOKEN_JWKS_SOURCE=dynamodb (unless TOKEN_JWKS_FILE is given),
//	                             KEYSTORM_APPLICATIONS (the seeded and the administrators
//	                             application, so both kinds of sample key pass)
//	oauth                        TOKEN_ISSUER, TOKEN_AUDIENCE, and TOKEN_KEYS_DIR, the key
//	                             directory (unless TOKEN_KEYS_SECRET is given)
//	console                      TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_KEYS_DIR (unless
//	                             TOKEN_KEYS_SECRET is given), and CONSOLE_APPLICATION_ID
//	                             (the seeded application)
//	rotate                       TOKEN_KEYS_DIR (unless TOKEN_KEYS_SECRET is given)
//	projector                    AWS_ENDPOINT_URL_API_GATEWAY=http://127.0.0.1:1 (unless
//	                             AWS_ENDPOINT_URL is given): nothing listens there, since API
//	                             Gateway has no local stand-in, so the sample's record is
//	                             answered as a batch item failure, never sent to AWS
//
// The region comes from package rie (us-east-1). A variable counts as
// given when an -env names it (even empty, which is how to leave one
// unset) or, with -inherit-env, when this shell sets it; invoke then
// seeds with it too (table names, TOKEN_KEYS_DIR, TOKEN_ISSUER and
// TOKEN_AUDIENCE), so the tokens it fills in still verify. Explicit -env
// always wins.
//
// # Your own store and ids
//
// -no-seed, or a DYNAMODB_ENDPOINT given with -env or through
// -inherit-env, turns all of that off: no embedded store, no defaults,
// and the event is sent exactly as read. invoke then only names, on
// stderr, the variables the function reads that nobody gave. -pkg builds
// any main package instead of a function, also without seeding or
// defaults.
//
// # Flags and output
//
// -e names an event file ("-" reads stdin; the default is {}). It can be
// repeated: the events go, in order, to one warm function over one seeded
// store, so what one creates the next finds, and each event gets fresh
// tokens of its own. Each -env K=V is added to the function's environment, which
// otherwise holds only PATH, the region defaults, invoke's defaults and
// what the emulator adds (see package rie); -inherit-env passes this
// shell's environment too. -logs prints the emulator's output (its log
// and the function's stdout and stderr) to stderr.
//
// Each response body goes to stdout, one per line. The cold start, from
// the emulator's INIT REPORT line, goes to stderr as "INIT REPORT
// durationMs: 5.29". The exit status is 1 if the build, the seeding, the
// emulator or an invoke fails, or if the handler returned an error
// document ({"errorMessage": ...}) for any event, except the authorizer's
// "Unauthorized", which is its answer (API Gateway turns it into a 401),
// not a failure. The status is 2 for bad usage.
//
// A function that exits during init (typically a missing variable: it
// logs the error and exits 1) makes the emulator answer a bare HTTP 502
// with an empty body. invoke answers instead with the function's own log
// lines, which name what is missing, and the emulator's errors, and exits
// 1.
//
// Only one emulator runs at a time on a machine (package rie holds a lock).
// invoke waits for a running test's emulator to finish, at most until
// -timeout.
package main
