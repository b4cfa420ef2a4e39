package authorizer_test

import (
	"errors"
	"testing"

	"github.com/keystorm/keystorm/infra/authorizer"
)

func TestRouteResource(t *testing.T) {
	const p = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
	cases := []struct {
		name, methodArn, method, resource, want string
	}{
		{"root", p + "GET/", "GET", "/", p + "GET/"},
		{"literal", p + "GET/v1/tenants/current", "GET", "/v1/tenants/current", p + "GET/v1/tenants/current"},
		{"one parameter", p + "GET/troopers/tk421/equipment", "GET", "/troopers/{id}/equipment", p + "GET/troopers/*/equipment"},
		{"parameter last", p + "DELETE/v1/accounts/A1", "DELETE", "/v1/accounts/{accountId}", p + "DELETE/v1/accounts/*"},
		{"several parameters", p + "POST/v1/groups/G1/accounts/A1/memberships", "POST", "/v1/groups/{groupId}/accounts/{accountId}/memberships",
			p + "POST/v1/groups/*/accounts/*/memberships"},
		{"adjacent parameters", p + "GET/a/1/2", "GET", "/a/{x}/{y}", p + "GET/a/*/*"},
		{"greedy proxy", p + "GET/files/a/b/c", "GET", "/files/{proxy+}", p + "GET/files/*"},
		{"encoded id", p + "GET/troopers/tk%2F421/equipment", "GET", "/troopers/{id}/equipment", p + "GET/troopers/*/equipment"},
		{"China partition", "arn:aws-cn:execute-api:cn-north-1:1:abc/dev/GET/x", "GET", "/x", "arn:aws-cn:execute-api:cn-north-1:1:abc/dev/GET/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := authorizer.RouteResource(c.methodArn, c.method, c.resource)
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestRouteResourceRefuses(t *testing.T) {
	const p = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/"
	cases := []struct {
		name, methodArn, method, resource string
	}{
		{"empty arn", "", "GET", "/"},
		{"other service", "arn:aws:lambda:eu-west-1:1:abc/prod/GET/", "GET", "/"},
		{"no stage", "arn:aws:execute-api:eu-west-1:1:abc", "GET", "/"},
		{"no method", "arn:aws:execute-api:eu-west-1:1:abc/prod", "GET", "/"},
		{"method differs", p + "GET/x", "POST", "/x"},
		{"lower-case method", p + "get/x", "get", "/x"},
		{"literal differs", p + "GET/troopers/1/weapons", "GET", "/troopers/{id}/equipment"},
		{"path longer", p + "GET/troopers/1/equipment/x", "GET", "/troopers/{id}/equipment"},
		{"path shorter", p + "GET/troopers/1", "GET", "/troopers/{id}/equipment"},
		{"empty parameter", p + "GET/troopers//equipment", "GET", "/troopers/{id}/equipment"},
		{"root vs path", p + "GET/x", "GET", "/"},
		{"greedy needs a segment", p + "GET/files", "GET", "/files/{proxy+}"},
		{"relative resource", p + "GET/x", "GET", "x"},
		{"wildcard in resource", p + "GET/*", "GET", "/*"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, err := authorizer.RouteResource(c.methodArn, c.method, c.resource); !errors.Is(err, authorizer.ErrBadMethodArn) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestRequestBaseURL(t *testing.T) {
	cases := []struct {
		name, proto, host, stage, want string
	}{
		{"execute-api host gets the stage", "https", "abc123.execute-api.us-east-1.amazonaws.com", "prod", "https://abc123.execute-api.us-east-1.amazonaws.com/prod"},
		{"execute-api host, upper case and port", "", "ABC.Execute-Api.us-east-1.AmazonAWS.com:443", "prod", "https://ABC.Execute-Api.us-east-1.AmazonAWS.com:443/prod"},
		{"private API endpoint", "https", "abc-vpce-1.execute-api.us-east-1.vpce.amazonaws.com", "v1", "https://abc-vpce-1.execute-api.us-east-1.vpce.amazonaws.com/v1"},
		{"China region", "https", "abc.execute-api.cn-north-1.amazonaws.com.cn", "prod", "https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod"},
		{"local gateway: no stage", "http", "127.0.0.1:8080", "prod", "http://127.0.0.1:8080"},
		{"localhost: no stage", "http", "localhost:3000", "local", "http://localhost:3000"},
		{"custom domain: no stage", "https", "api.keystorm.example", "prod", "https://api.keystorm.example"},
		{"look-alike host: no stage", "https", "execute-api.evil.example", "prod", "https://execute-api.evil.example"},
		{"other amazonaws host: no stage", "https", "abc.lambda-url.us-east-1.on.aws", "prod", "https://abc.lambda-url.us-east-1.on.aws"},
		{"unknown proto means https", "gopher", "localhost", "", "https://localhost"},
		{"proto list means https", "http, https", "localhost", "", "https://localhost"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := authorizer.RequestBaseURL(c.proto, c.host, c.stage); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
