package authorizer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/rie"
)

// TestBinaryUnderEmulatorJWKSFromDynamoDB runs the authorizer binary as
// deployed (template.yaml: TOKEN_ISSUER and TOKEN_AUDIENCE, no
// TOKEN_JWKS_FILE, so the keys come from the JWKS published in the views
// table): a real token whose key was published with dynamo Store.PutJWKS
// (as the rotation function does) is allowed with its scope, a token of
// an unpublished kid is refused. (Nothing published at all reads as no
// keys: tokens.TestPublishedJWKS.)
func TestBinaryUnderEmulatorJWKSFromDynamoDB(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/authorizer", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	live := newTestTokens(t, domain.ClockFunc(time.Now))
	tsvc := *e.tsvc
	tsvc.Signer, tsvc.Verifier, tsvc.Clock = live, live, domain.ClockFunc(time.Now)
	e.grantGroup(t, e.dev.ID, scopeOthers)
	iss, err := tsvc.Issue(ctx, domain.TokenRequest{KeyID: e.devKey.Key.ID, Secret: e.devKey.Secret, Scope: scopeOthers})
	if err != nil {
		t.Fatal(err)
	}
	ev := withAuthorization(t, sampleBytes(t, "request-bearer.json"), authorizer.BearerHeader(iss.Signed))

	cfg := e.h.Server.Config()
	em, err := rie.Start(ctx, bootstrap, []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AUTH_CACHE_TTL=0", "TOKEN_ISSUER=" + testIssuer, "TOKEN_AUDIENCE=" + testAudience, "KEYSTORM_APPLICATIONS=" + strings.Join(e.bound(), ","),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	invoke := func(ev []byte) []byte {
		out, err := em.Invoke(ctx, ev)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		return out
	}
	if err := e.h.Store.PutJWKS(ctx, live.jwks, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := invoke(ev)
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.PolicyDocument.Statement) != 1 || resp.PolicyDocument.Statement[0].Effect != "Allow" ||
		resp.Context["authType"] != "bearer" || resp.Context["scope"] != scopeOthers {
		t.Fatalf("token with a published key: %s\n%s", out, em.Output())
	}
	// The sample as shipped names a kid nobody published.
	var fnErr struct{ ErrorMessage string }
	if out := invoke(sampleBytes(t, "request-bearer.json")); json.Unmarshal(out, &fnErr) != nil || fnErr.ErrorMessage != "Unauthorized" {
		t.Fatalf("unknown kid: %s\n%s", out, em.Output())
	}
}
