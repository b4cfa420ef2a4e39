// Command rotate is the Lambda function that rotates Keystorm's
// access-token signing keys and publishes their public half. It has no
// API route: EventBridge invokes it on a schedule (template.yaml,
// RotateFunction, once a day), and it is the only rotator.
//
// Each run (infra/rotation.Run) loads the private JWK Set from the Secrets
// Manager secret $TOKEN_KEYS_SECRET (fresh, never from a cache), adds the
// next key once the current one has signed for $ROTATE_EVERY (less
// tokens.PublishAhead, so the new key is published before it signs),
// prunes keys whose tokens have all expired, creates the first key if the
// secret is still empty, publishes tokens.JWKS of the ring to the views
// table (item jwks#current, read by the authorizer and served at
// /.well-known/jwks.json), and then saves the secret if the ring changed.
// It publishes on every run, so a lost document heals within a day. It
// answers with the kids it published (never key material).
//
// Environment:
//
//	TOKEN_KEYS_SECRET  the secret holding the keys (required on AWS)
//	ROTATE_EVERY       rotation period, whole days ("30d") or a Go duration
//	                   ("720h"), at least 1h; default 30d
//	VIEWS_TABLE, DYNAMODB_ENDPOINT, AWS_REGION (infra/dynamo); LOG_LEVEL
//
// For local runs and tests only, TOKEN_KEYS_DIR replaces TOKEN_KEYS_SECRET
// by a key file directory (tokens.FileStore, DIR/token-keys.json, mode
// 0600, created with a fresh key when missing); exactly one of the two
// must be set, and template.yaml never sets TOKEN_KEYS_DIR. With
// DYNAMODB_ENDPOINT pointing at a local DynamoDB (such as infra/embedded)
// the binary runs without AWS: infra/rotation's TestBinaryUnderEmulator
// does so under the Lambda Runtime Interface Emulator.
//
// A sample EventBridge scheduled event for `sam local invoke RotateFunction
// -e` is in testdata/.
package main
