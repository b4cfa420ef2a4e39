package rotation_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/rie"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/tokens"
)

// sample reads the EventBridge scheduled event of functions/rotate/testdata.
func sample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "functions", "rotate", "testdata", "scheduled.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBinaryUnderEmulator builds functions/rotate exactly as SAM would ship
// it and invokes it once through the Lambda Runtime Interface Emulator
// with the sample scheduled event: keys from a key file (TOKEN_KEYS_DIR,
// the local/test stand-in for the secret) whose only key is 40 days old,
// publication into the embedded DynamoDB. It must answer, rotate, save the
// next key and publish both public keys, and print no private key.
func TestBinaryUnderEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/rotate", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := embedded.New(t)
	dir := t.TempDir()
	old := time.Now().Add(-40 * day)
	keys := tokens.NewFileStore(dir, domain.ClockFunc(func() time.Time { return old }))
	ring, err := keys.Load(ctx) // creates the file with a 40-day-old key
	if err != nil {
		t.Fatal(err)
	}
	oldKID := ring.Keys[0].KID

	cfg := h.Server.Config()
	em, err := rie.Start(ctx, bootstrap, []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		rotation.KeysDirEnv + "=" + dir, rotation.EveryEnv + "=30d", "LOG_LEVEL=debug",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	out, err := em.Invoke(ctx, sample(t))
	if err != nil {
		t.Fatalf("%v\n%s", err, em.Output())
	}
	var res rotation.Result
	if err := json.Unmarshal(out, &res); err != nil || !res.Rotated || res.Current != oldKID || res.Next == "" || len(res.Published) != 2 {
		t.Fatalf("answer %s (%v)\n%s", out, err, em.Output())
	}
	// The next key is saved to the file...
	saved, err := tokens.NewFileStore(dir, domain.SystemClock).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := kidsOf(saved); !slices.Equal(got, []string{oldKID, res.Next}) {
		t.Fatalf("saved %v, answered %+v", got, res)
	}
	// ...and both public keys are published where the authorizer reads.
	if got := publishedKids(t, h.Store); !slices.Equal(got, res.Published) {
		t.Fatalf("published %v, answered %v", got, res.Published)
	}
	if ms, err := em.InitDurationMs(); err == nil {
		t.Logf("rotate cold start (INIT REPORT): %.1f ms", ms)
	}
	output := em.Output()
	raw, err := os.ReadFile(filepath.Join(dir, tokens.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Keys []struct {
			D string `json:"d"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(raw, &file); err != nil || len(file.Keys) != 2 {
		t.Fatalf("key file: %v", err)
	}
	for _, k := range file.Keys {
		if k.D == "" || strings.Contains(output, k.D) {
			t.Fatal("a private key in the function's output (or none in the file)")
		}
	}
	if !strings.Contains(output, res.Next) {
		t.Errorf("the log does not name the new kid:\n%s", output)
	}
}

// TestOAuthBinaryServesPublishedJWKS runs functions/oauth under the
// emulator with its JWKS sample: the endpoint serves exactly the document
// published in the views table ({"keys":[]} before any), and never reads
// the private secret (Secrets Manager points at a closed port here).
func TestOAuthBinaryServesPublishedJWKS(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bootstrap, err := rie.Build(ctx, "./functions/oauth", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := os.ReadFile(filepath.Join("..", "..", "functions", "oauth", "testdata", "jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := embedded.New(t)
	cfg := h.Server.Config()
	em, err := rie.Start(ctx, bootstrap, []string{
		"DYNAMODB_ENDPOINT=" + cfg.Endpoint, "EVENTS_TABLE=" + cfg.EventsTable, "VIEWS_TABLE=" + cfg.ViewsTable,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"TOKEN_ISSUER=urn:keystorm:test", "TOKEN_AUDIENCE=urn:keystorm:test:api",
		"TOKEN_KEYS_SECRET=keystorm-token-keys", "AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	body := func() string {
		t.Helper()
		out, err := em.Invoke(ctx, ev)
		if err != nil {
			t.Fatalf("%v\n%s", err, em.Output())
		}
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 {
			t.Fatalf("answer %s (%v)\n%s", out, err, em.Output())
		}
		return resp.Body
	}
	if got := body(); got != tokens.EmptyJWKS {
		t.Fatalf("before publication: %s", got)
	}
	keys := &memStore{}
	now := time.Now()
	if _, err := rotation.Run(ctx, keys, publisher(h.Store, now), now, every); err != nil {
		t.Fatal(err)
	}
	want, err := h.Store.GetJWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := body(); got != string(want) || !strings.Contains(got, keys.kids()[0]) {
		t.Fatalf("served %s, published %s", got, want)
	}
}
