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

// TestSessionIdentity: a password grant's token has a session and no
// key, and is never admin; a context with both, or neither, is refused.
func TestSessionIdentity(t *testing.T) {
	id := authctx.Identity{AccountID: "acc", TenantID: "tnt", ApplicationID: "app", AuthType: authctx.AuthBearer, RefreshTokenID: "rtk"}
	got, err := authctx.FromMap(id.Map())
	if err != nil || got.RefreshTokenID != "rtk" || got.APIKeyID != "" || got.Admin {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, ok := (authctx.Identity{APIKeyID: "k"}).Map()[authctx.KeyRefreshTokenID]; ok {
		t.Fatal("a key's context names a session")
	}
	for name, m := range map[string]map[string]any{
		"both":          {authctx.KeyTenantID: "tnt", authctx.KeyAccountID: "acc", authctx.KeyAPIKeyID: "k", authctx.KeyRefreshTokenID: "rtk"},
		"neither":       {authctx.KeyTenantID: "tnt", authctx.KeyAccountID: "acc"},
		"admin session": {authctx.KeyTenantID: "tnt", authctx.KeyAccountID: "acc", authctx.KeyRefreshTokenID: "rtk", authctx.KeyAdmin: "true"},
	} {
		if got, err := authctx.FromMap(m); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		}
	}
}
