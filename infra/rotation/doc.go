// Package rotation keeps the access-token signing keys current and their
// public half published: the logic of the scheduled rotation function
// (functions/rotate), also used by the OAuth function to create the very
// first key of a fresh deployment.
//
// Why a package of its own: the deployed authorizer must verify tokens
// without reading the private keys (least privilege) and without knowing
// the API's URL (the API references the authorizer, so the authorizer
// cannot reference the API: a CloudFormation cycle). So the public JWK Set
// is published where the authorizer can read it anyway, one item of the
// views table (infra/dynamo Store.PutJWKS / GetJWKS), and this package is
// the one writer of that item besides the first-key path.
//
// Run loads the ring, rotates it (tokens.Keyring.Rotate: a new key is
// published PublishAhead before it signs, retired keys stay for
// VerifyWindow), publishes tokens.JWKS of the result, and only then saves
// the ring when it changed. Publishing first means a key never signs
// before it is published: if publishing fails nothing is saved and the
// next run (or the scheduler's retry) starts over; if saving fails the
// published set merely holds a key that will never sign. Run publishes on
// every call, changed or not, so a lost or stale document heals at the
// next run.
//
// Rotation must happen in one place at a time (Secrets Manager has no
// compare-and-swap): template.yaml runs RotateFunction on a schedule with
// a reserved concurrency of 1, and the OAuth function calls Run with
// every = 0 (create a key only when none can sign, never rotate).
package rotation
