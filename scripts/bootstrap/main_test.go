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

// TestNewAdminKeyRecovers: -new-admin-key issues a working admin key for
// the only tenant; with several tenants it asks which one, and takes the
// one -tenant-id names.
func TestNewAdminKeyRecovers(t *testing.T) {
	h := embedded.New(t)
	ctx := context.Background()
	auth := &domain.KeyAuthenticator{Store: h.Store, Clock: domain.SystemClock}
	creds := func(out *bytes.Buffer) domain.Credentials {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var c domain.Credentials
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &c); err != nil {
			t.Fatalf("%v in %q", err, out.String())
		}
		return c
	}
	var out bytes.Buffer
	if err := recoverKey(ctx, h.Store, "", "", &out); err == nil {
		t.Fatal("recovery on an empty table succeeded")
	}
	if err := bootstrap(ctx, h.Store, "https://api.example.com", domain.BootstrapInput{}, false, &out); err != nil {
		t.Fatal(err)
	}
	first := creds(&out)
	out.Reset()
	if err := recoverKey(ctx, h.Store, "https://api.example.com", "", &out); err != nil {
		t.Fatal(err)
	}
	got := creds(&out)
	if got.APIKeyID == first.APIKeyID || got.Tenant != first.Tenant || got.Application != first.Application {
		t.Fatalf("recovered %+v, first %+v", got, first)
	}
	if p, err := auth.Authenticate(ctx, got.APIKeyID, got.APIKeySecret); err != nil || !p.Admin || !strings.HasSuffix(first.Tenant, "/"+p.TenantID) {
		t.Fatalf("recovered key: %+v %v", p, err)
	}

	out.Reset()
	if err := bootstrap(ctx, h.Store, "", domain.BootstrapInput{TenantName: "second"}, true, &out); err != nil {
		t.Fatal(err)
	}
	second := creds(&out)
	secondID := second.Tenant[strings.LastIndex(second.Tenant, "/")+1:]
	err := recoverKey(ctx, h.Store, "", "", &out)
	if err == nil || !strings.Contains(err.Error(), "-tenant-id") || !strings.Contains(err.Error(), secondID) {
		t.Fatalf("two tenants, no choice: %v", err)
	}
	if err := recoverKey(ctx, h.Store, "", "nosuchtenant", &out); err == nil {
		t.Fatal("unknown -tenant-id accepted")
	}
	out.Reset()
	if err := recoverKey(ctx, h.Store, "", secondID, &out); err != nil {
		t.Fatal(err)
	}
	got = creds(&out)
	if p, err := auth.Authenticate(ctx, got.APIKeyID, got.APIKeySecret); err != nil || p.TenantID != secondID {
		t.Fatalf("recovered key of the second tenant: %+v %v", p, err)
	}
}
