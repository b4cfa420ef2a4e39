package authorizer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/rie"
)

// TestBinaryUnderEmulator builds functions/authorizer exactly as SAM would
// ship it and invokes it through the Lambda Runtime Interface Emulator,
// against the embedded DynamoDB, with the repository's sample events: the
// wiring in main.go reads its environment and answers a real runtime.
func TestBinaryUnderEmulator(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/authorizer", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.h.Server.Config()
	em, err := rie.Start(ctx, bootstrap, []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AUTH_CACHE_TTL=5",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()

	sample := func(name string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
		b, err := os.ReadFile(filepath.Join("..", "..", "functions", "authorizer", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var r events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	invoke := func(r events.APIGatewayCustomAuthorizerRequestTypeRequest) []byte {
		b, _ := json.Marshal(r)
		out, err := em.Invoke(ctx, b)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		return out
	}

	// No Authorization header: the error document API Gateway maps to 401.
	var fnErr struct{ ErrorMessage string }
	if out := invoke(sample("request-missing-header.json")); json.Unmarshal(out, &fnErr) != nil || fnErr.ErrorMessage != "Unauthorized" {
		t.Fatalf("missing header: %s", out)
	}

	r := sample("request-example-developer.json")
	r.Headers["Authorization"] = authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)
	r.MultiValueHeaders["Authorization"] = []string{r.Headers["Authorization"]}
	out := invoke(r)
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.PolicyDocument.Statement) != 1 ||
		resp.PolicyDocument.Statement[0].Effect != "Allow" ||
		resp.PolicyDocument.Statement[0].Resource[0] != "arn:aws:execute-api:us-east-1:123456789012:def456/prod/GET/troopers/*/equipment" ||
		resp.Context["apiKeyId"] != e.devKey.Key.ID {
		t.Fatalf("allow: %v %s", err, out)
	}
	if strings.Contains(string(out)+em.Output(), e.devKey.Secret) {
		t.Fatal("secret in the response or the function's output")
	}
	if ms, err := em.InitDurationMs(); err == nil {
		t.Logf("authorizer cold start (INIT REPORT): %.1f ms", ms)
	}
}
