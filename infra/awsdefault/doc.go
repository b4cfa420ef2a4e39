// Package awsdefault builds AWS clients for the operator tools
// (scripts/rebuild, scripts/bootstrap) through the SDK's full default
// chain: shared config and credentials files, AWS_PROFILE, SSO, assumed
// roles, web identity, IMDS, as the AWS CLI resolves them on a laptop or
// a build host.
//
// It is a package of its own so that no Lambda function links it: the
// chain's package (github.com/aws/aws-sdk-go-v2/config) brings the STS,
// SSO, SSO OIDC and sign-in clients, whose package init runs on every
// cold start (about 2.5 ms), for sources a function never uses. Functions
// read their settings from the environment Lambda sets (infra/awsenv), and
// infra/runtime's TestFunctionDependencies fails if one links this
// package or the config package.
package awsdefault
