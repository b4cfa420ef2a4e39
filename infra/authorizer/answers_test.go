package authorizer_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/authorizer"
)

// The answer cache returns exactly what a handler that never saw the
// request computes, for every mix of credential, route and stage, however
// the requests interleave on one handler: a cached answer for one
// principal or route is never handed to another.
func TestCachedAnswersMatchFreshOnes(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	iss := e.issue(t, e.devKey.Key.ID, e.devKey.Secret, "")
	headers := []string{
		authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret),
		authorizer.BasicHeader(e.boot.AdminKey.ID, e.boot.AdminSecret),
		authorizer.BearerHeader(iss.Signed),
	}
	routes := []func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest){
		func(*events.APIGatewayCustomAuthorizerRequestTypeRequest) {},
		func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) {
			r.MethodArn = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/tk422/equipment"
		},
		func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) {
			r.MethodArn, r.Resource, r.RequestContext.ResourcePath = "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers", "/troopers", "/troopers"
		},
		func(r *events.APIGatewayCustomAuthorizerRequestTypeRequest) { r.RequestContext.Stage = "beta" },
	}
	cfg := authorizer.Config{CacheTTL: ttl, Applications: []string{authorizer.AnyApplication}}
	shared := e.handler(cfg)
	for range 2 {
		for _, h := range headers {
			for ri, route := range routes {
				req := request(h)
				route(&req)
				got, err := shared.HandleRequest(ctx, req)
				want, werr := e.handler(cfg).HandleRequest(ctx, req)
				if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("route %d: cached %+v (%v), fresh %+v (%v)", ri, got, err, want, werr)
				}
			}
		}
	}

}
