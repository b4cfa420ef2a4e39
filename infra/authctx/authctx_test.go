package authctx_test

import (
	"testing"

	"github.com/keystorm/keystorm/infra/authctx"
)

func TestRoundTrip(t *testing.T) {
	in := authctx.Identity{AccountHref: "http://h/v1/accounts/A", AccountID: "A", APIKeyID: "K", TenantID: "T", ApplicationID: "P", AuthType: authctx.AuthBasic, Admin: true, Scope: "a b", Username: "tk421"}
	out, err := authctx.FromMap(in.Map())
	if err != nil || out != in {
		t.Fatalf("%v %+v", err, out)
	}
	if !out.HasScope("b") || out.HasScope("c") {
		t.Fatal("scopes")
	}
}

func TestBooleanAdminAndMissingFields(t *testing.T) {
	id, err := authctx.FromMap(map[string]any{"tenantId": "T", "apiKeyId": "K", "accountId": "A", "admin": true})
	if err != nil || !id.Admin {
		t.Fatalf("%v %+v", err, id)
	}
	if _, err := authctx.FromMap(map[string]any{"tenantId": "T"}); err == nil {
		t.Fatal("context without key accepted")
	}
	if _, err := authctx.FromMap(nil); err == nil {
		t.Fatal("empty context accepted")
	}
}
