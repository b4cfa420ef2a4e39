// Package awsenv builds a Lambda function's aws.Config from the variables
// Lambda sets, without the SDK's config package.
//
// Why: github.com/aws/aws-sdk-go-v2/config links the clients of every
// credential source the default chain knows (STS, SSO, SSO OIDC, sign-in)
// and the shared-file parser, and every one of those packages runs its
// init (schemas, endpoint tables) on every cold start, about 2.5 ms, plus
// the chain's own work at start-up. Inside Lambda the chain always ends
// at its second step, the environment: Lambda sets AWS_REGION and the
// execution role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN, which stay valid for the life of the execution
// environment. So Credentials reads them exactly as the chain's
// environment step does (a static provider behind a cache); the chain
// would never look further.
//
// One more source is kept: AWS_CONTAINER_CREDENTIALS_FULL_URI (with
// AWS_CONTAINER_AUTHORIZATION_TOKEN or its _FILE), which Lambda sets
// instead of keys where credentials must be refreshed inside one
// environment (SnapStart restores, long-lived instances). It costs one
// small package (credentials/endpointcreds, no service client), so a
// function keeps working if it is ever deployed that way. Profiles, SSO,
// web identity, IMDS and credential processes are operator-machine
// sources: scripts use infra/awsdefault, which function binaries must not
// link (infra/runtime's TestFunctionDependencies).
//
// Of the SDK's shared settings only the endpoint overrides are read
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>,
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), because tests point services at
// local servers with them. Lambda sets none of the others (retry mode, FIPS,
// dual-stack, ...) and template.yaml sets none either.
package awsenv
