package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
)

func TestBootstrapOnceThenRefuses(t *testing.T) {
	h := embedded.New(t)
	ctx := context.Background()
	var out bytes.Buffer
	if err := bootstrap(ctx, h.Store, "https://api.example.com", domain.BootstrapInput{}, false, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var o domain.Credentials
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(o.Application, "https://api.example.com/v1/applications/") {
		t.Fatalf("output %+v", o)
	}
	// The printed key really is an admin key of the new tenant.
	auth := &domain.KeyAuthenticator{Store: h.Store, Clock: domain.ClockFunc(time.Now)}
	p, err := auth.Authenticate(ctx, o.APIKeyID, o.APIKeySecret)
	if err != nil || !p.Admin || !strings.HasSuffix(o.Tenant, p.TenantID) {
		t.Fatalf("key: %v %+v", err, p)
	}
	if err := bootstrap(ctx, h.Store, "", domain.BootstrapInput{}, false, &out); err == nil {
		t.Fatal("second bootstrap on a non-empty table succeeded")
	}
	if err := bootstrap(ctx, h.Store, "", domain.BootstrapInput{TenantName: "second"}, true, &out); err != nil {
		t.Fatalf("forced: %v", err)
	}
}
