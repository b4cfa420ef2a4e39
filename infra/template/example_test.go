package template_test

import (
	"fmt"
	"strings"

	"github.com/keystorm/keystorm/infra/template"
)

// A local gateway resolves each request against the template's routes:
// which function serves it, with which path parameters, or whether to
// answer 404 or 405.
func ExampleMatch() {
	routes, err := template.Parse([]byte(`
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: prod}
  TenantsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./functions/tenants/
      Events:
        Current:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /v1/tenants/current, Method: GET}
        One:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: "/v1/tenants/{tenantId}", Method: GET}
`))
	if err != nil {
		panic(err)
	}
	for _, req := range []string{"GET /v1/tenants/current", "GET /v1/tenants/tnt_42", "DELETE /v1/tenants/tnt_42", "GET /v1/nope"} {
		method, path, _ := strings.Cut(req, " ")
		r, params, ok := template.Match(routes, method, path)
		switch {
		case ok:
			fmt.Printf("%s -> %s %s %v\n", req, r.Function, r.Path, params)
		case template.Allowed(routes, path) != nil:
			fmt.Printf("%s -> 405, Allow: %s\n", req, strings.Join(template.Allowed(routes, path), ", "))
		default:
			fmt.Printf("%s -> 404\n", req)
		}
	}
	// Output:
	// GET /v1/tenants/current -> tenants /v1/tenants/current map[]
	// GET /v1/tenants/tnt_42 -> tenants /v1/tenants/{tenantId} map[tenantId:tnt_42]
	// DELETE /v1/tenants/tnt_42 -> 405, Allow: GET
	// GET /v1/nope -> 404
}
