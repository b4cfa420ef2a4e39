package example_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/rie"
)

// TestBinaryUnderEmulator builds functions/example as SAM would ship it
// and invokes it through the Lambda Runtime Interface Emulator with the
// repository's sample event, with and without its authorizer context.
func TestBinaryUnderEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/example", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	em, err := rie.Start(ctx, bootstrap, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()

	b, err := os.ReadFile(filepath.Join("..", "..", "functions", "example", "testdata", "get-equipment.json"))
	if err != nil {
		t.Fatal(err)
	}
	invoke := func(payload []byte) events.APIGatewayProxyResponse {
		out, err := em.Invoke(ctx, payload)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		var resp events.APIGatewayProxyResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return resp
	}
	resp := invoke(b)
	var got example.Equipment
	if resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &got) != nil || got.Trooper != "tk421" || got.Caller.APIKeyID != "ak_dev_sample" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}

	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	ev.RequestContext.Authorizer = nil
	noAuth, _ := json.Marshal(ev)
	if resp := invoke(noAuth); resp.StatusCode != 401 {
		t.Fatalf("without authorizer context: %d %s", resp.StatusCode, resp.Body)
	}
}
