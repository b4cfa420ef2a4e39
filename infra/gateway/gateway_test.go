package gateway

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func policy(stmts ...events.IAMPolicyStatement) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: stmts}
}

func stmt(effect string, res ...string) events.IAMPolicyStatement {
	return events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: res}
}

func TestAllowsEvaluatesPoliciesLikeIAM(t *testing.T) {
	arn := "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/troopers/tk421/equipment"
	cases := []struct {
		name string
		doc  events.APIGatewayCustomAuthorizerPolicy
		want bool
	}{
		{"exact allow", policy(stmt("Allow", arn)), true},
		{"route template allow", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/troopers/*/equipment")), true},
		{"other route", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/v1/accounts/*")), false},
		{"other method", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/POST/troopers/*/equipment")), false},
		{"wildcard spans slashes", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/*")), true},
		{"deny wins", policy(stmt("Allow", arn), stmt("Deny", arn)), false},
		{"no statements", policy(), false},
		{"wrong action", policy(events.IAMPolicyStatement{Action: []string{"s3:GetObject"}, Effect: "Allow", Resource: []string{arn}}), false},
	}
	for _, tc := range cases {
		if got := Allows(tc.doc, arn); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}
