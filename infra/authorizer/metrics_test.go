package authorizer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/metrics"
)

// Every decision is one EMF line: Allow or Deny by flavour and reason,
// and none holds a byte of the request.
func TestDecisionMetrics(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var out syncBuffer
	e.auth.Metrics = &metrics.Emitter{Out: &out, Namespace: "Keystorm", Clock: e.clock}
	_, _ = e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(e.devKey.Key.ID, e.devKey.Secret)))
	_, _ = e.auth.HandleRequest(ctx, request(authorizer.BasicHeader(e.devKey.Key.ID, "kss_wrongwrongwrong")))
	_, _ = e.auth.HandleRequest(ctx, request(""))
	want := []map[string]string{
		{"Decision": "Allow", "Reason": "basic", "Flavour": "REQUEST"},
		{"Decision": "Deny", "Reason": "invalid_credentials", "Flavour": "REQUEST"},
		{"Decision": "Deny", "Reason": "no_header", "Flavour": "REQUEST"},
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines: %s", len(lines), out.String())
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Fatalf("line %d: %s = %v, want %s (%s)", i, k, m[k], v, l)
			}
		}
		if m["Decisions"] != 1.0 || m["_aws"] == nil {
			t.Fatalf("line %d: %s", i, l)
		}
	}
	if strings.Contains(out.String(), e.devKey.Key.ID) || strings.Contains(out.String(), "wrongwrong") {
		t.Fatal("request bytes in the metrics")
	}
}
