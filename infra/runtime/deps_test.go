package runtime_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFunctionDependencies keeps packages out of the function binaries
// that do not need them. Every package a binary links runs its init on
// every cold start, and the AWS SDK's service packages (schemas, endpoint
// tables) are most of that (scripts/coldstart measures it); the local-only
// packages (the embedded DynamoDB, the seeded sample world, SQLite) must
// never ship at all.
//
// No function links the SDK's default credential chain (package config)
// or the clients only it uses (STS, SSO, SSO OIDC, sign-in): about 2.5 ms
// of package init, for sources that never apply inside Lambda. Functions
// read the Lambda variables (infra/awsenv); operator tools use
// infra/awsdefault.
func TestFunctionDependencies(t *testing.T) {
	never := []string{
		// Local only.
		"github.com/truora/minidyn",
		"modernc.org/sqlite",
		"github.com/keystorm/keystorm/infra/embedded",
		"github.com/keystorm/keystorm/infra/sample",
		"github.com/keystorm/keystorm/infra/local",
		"testing",
		// The default chain, and what only it needs.
		"github.com/aws/aws-sdk-go-v2/config",
		"github.com/aws/aws-sdk-go-v2/service/sts",
		"github.com/aws/aws-sdk-go-v2/service/sso",
		"github.com/aws/aws-sdk-go-v2/service/ssooidc",
		"github.com/aws/aws-sdk-go-v2/service/signin",
		"github.com/aws/aws-sdk-go-v2/credentials/stscreds",
		"github.com/aws/aws-sdk-go-v2/credentials/ssocreds",
		"github.com/keystorm/keystorm/infra/awsdefault",
	}
	sdk := "github.com/aws/aws-sdk-go-v2/"
	secrets := "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	// Only the accounts function mails (password reset, verification).
	ses := "github.com/aws/aws-sdk-go-v2/service/sesv2"
	// Only the projector manages usage plans.
	apigw := "github.com/aws/aws-sdk-go-v2/service/apigateway"
	cases := []struct {
		function string
		without  []string // import path prefixes
	}{
		{"example", []string{sdk}}, // reads only its event's authorizer context
		{"tenants", []string{secrets, ses, apigw}},
		{"applications", []string{secrets, ses, apigw}},
		{"accounts", []string{secrets, apigw}},
		{"groups", []string{secrets, ses, apigw}},
		{"apikeys", []string{secrets, ses, apigw}},
		{"authorizer", []string{secrets, ses, apigw}}, // verifies with the published JWKS, never reads the secret
		{"oauth", []string{apigw}},
		{"rotate", []string{apigw}},
		{"sweep", []string{secrets, ses, apigw}},
		{"projector", []string{secrets, ses}}, // reads the views, writes only to API Gateway
	}
	for _, c := range cases {
		t.Run(c.function, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), "go", "list", "-deps", "-tags", "lambda.norpc", "../../functions/"+c.function)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, bad := range append(c.without, never...) {
					if dep == bad || strings.HasPrefix(dep, strings.TrimSuffix(bad, "/")+"/") {
						t.Errorf("functions/%s links %s", c.function, dep)
					}
				}
			}
		})
	}
}
