package authorizer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/embedded"
)

// A provider's API Gateway calls the authorizer with a REQUEST event; the
// caller sent `curl --user $ID:$SECRET`. The Allow covers the route
// template, and the context tells the backend who called.
func ExampleHandler_HandleRequest() {
	ctx := context.Background()
	srv, _ := embedded.Start("")
	defer srv.Close()
	store, _ := srv.NewStore(ctx, nil)
	boot, _ := domain.NewService(store).Bootstrap(ctx, domain.BootstrapInput{})

	h := authorizer.New(store, domain.SystemClock, authorizer.Config{CacheTTL: 5 * time.Second, Applications: []string{boot.Application.ID, boot.AdminApp.ID}})
	resp, err := h.HandleRequest(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type:       "REQUEST",
		MethodArn:  "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/tk421/equipment",
		Resource:   "/troopers/{id}/equipment",
		HTTPMethod: "GET",
		Headers: map[string]string{
			"Authorization": authorizer.BasicHeader(boot.AdminKey.ID, boot.AdminSecret),
			"Host":          "def456.execute-api.us-east-1.amazonaws.com",
		},
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{Stage: "prod"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	st := resp.PolicyDocument.Statement[0]
	id, _ := authctx.FromMap(resp.Context)
	fmt.Println(st.Effect, st.Action[0], st.Resource[0])
	fmt.Println(resp.PrincipalID == "https://def456.execute-api.us-east-1.amazonaws.com/prod/v1/accounts/"+boot.Admin.ID)
	fmt.Println(id.AuthType, id.Admin, id.APIKeyID == boot.AdminKey.ID)

	// A wrong secret is the error API Gateway turns into 401.
	_, err = h.HandleRequest(ctx, events.APIGatewayCustomAuthorizerRequestTypeRequest{
		MethodArn: "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/tk421/equipment",
		Headers:   map[string]string{"Authorization": authorizer.BasicHeader(boot.AdminKey.ID, "kss_wrong")},
	})
	fmt.Println(err)
	// Output:
	// Allow execute-api:Invoke arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment
	// true
	// basic true true
	// Unauthorized
}
