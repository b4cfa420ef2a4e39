package sample

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/tokens"
)

// testNow is the fixed time of every test world: tokens are issued and
// verified on the same clock, whatever the day.
var testNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, o Options) *World {
	t.Helper()
	if o.Clock == nil {
		o.Clock = domain.ClockFunc(func() time.Time { return testNow })
	}
	w, err := Start(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

// TestFillEverySample fills every sample event of the repository and
// checks that the result is the same event about real things: no sample
// id is left; the document has the same shape, and a string changed only
// where the sample had an id, credentials or a token; each Basic credential
// is a real key's id and secret; each token verifies with the world's
// published keys and names a real key; and a header still agrees with
// its multi-value twin.
func TestFillEverySample(t *testing.T) {
	clock := domain.ClockFunc(func() time.Time { return testNow })
	w := newWorld(t, Options{Clock: clock})
	published, err := w.Store.GetJWKS(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.StaticJWKS(published)
	if err != nil {
		t.Fatal(err)
	}
	verifier := tokens.NewVerifier(keys, w.Issuer, w.Audience, clock)
	basic := map[string]bool{
		w.Boot.AdminKey.ID + ":" + w.Boot.AdminSecret:       true,
		w.DeveloperKey.Key.ID + ":" + w.DeveloperKey.Secret: true,
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "functions", "*", "testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples (%v)", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(file)))+"/"+filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			filled, err := w.Fill(t.Context(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(filled, []byte("_sample")) {
				t.Errorf("a sample id is left:\n%s", filled)
			}
			before, after := decode(t, raw), decode(t, filled)
			sameShape(t, "", before, after)
			walkStrings(after, func(s string) {
				if scheme, cred, ok := strings.Cut(s, " "); ok && scheme == "Basic" {
					b, err := base64.StdEncoding.DecodeString(cred)
					if err != nil || !basic[string(b)] {
						t.Errorf("Basic credentials %q are not a real key's", b)
					}
				}
				for _, jwt := range jwtRE.FindAllString(s, -1) {
					tok, err := verifier.Verify(t.Context(), jwt)
					if err != nil {
						t.Errorf("token does not verify: %v", err)
						continue
					}
					if tok.ClientID != w.DeveloperKey.Key.ID && tok.ClientID != w.Boot.AdminKey.ID {
						t.Errorf("token of key %s", tok.ClientID)
					}
				}
			})
			headers, _ := after["headers"].(map[string]any)
			multi, _ := after["multiValueHeaders"].(map[string]any)
			for k, v := range headers {
				if m, ok := multi[k].([]any); ok && (len(m) != 1 || m[0] != v) {
					t.Errorf("header %s: %v, multi-value %v", k, v, m)
				}
			}
		})
	}
}

// sameShape checks that after has the keys, lengths and types of before,
// and that a string differs only where before had something to fill.
func sameShape(t *testing.T, path string, before, after any) {
	t.Helper()
	switch b := before.(type) {
	case map[string]any:
		a, ok := after.(map[string]any)
		if !ok || len(a) != len(b) {
			t.Errorf("%s: %v became %v", path, before, after)
			return
		}
		for k := range b {
			sameShape(t, path+"."+k, b[k], a[k])
		}
	case []any:
		a, ok := after.([]any)
		if !ok || len(a) != len(b) {
			t.Errorf("%s: %v became %v", path, before, after)
			return
		}
		for i := range b {
			sameShape(t, path, b[i], a[i])
		}
	case string:
		a, ok := after.(string)
		fillable := vocabularyRE.MatchString(b) || jwtRE.MatchString(b) || strings.HasPrefix(b, "Basic ") ||
			strings.HasSuffix(path, "authorizer.applicationId") || strings.EqualFold(path[strings.LastIndex(path, ".")+1:], "Content-Length")
		if !ok || (a != b && !fillable) {
			t.Errorf("%s: %q became %v", path, b, after)
		}
	default:
		if !reflect.DeepEqual(before, after) {
			t.Errorf("%s: %v became %v", path, before, after)
		}
	}
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case string:
		f(v)
	}
}

// An event about other things passes unchanged: other credentials, a
// token of the world's own key, numbers as written, & and < in a body.
func TestFillLeavesOtherEventsAlone(t *testing.T) {
	w := newWorld(t, Options{})
	ctx := t.Context()
	own, err := w.tokens.Issue(ctx, domain.TokenRequest{KeyID: w.DeveloperKey.Key.ID, Secret: w.DeveloperKey.Secret})
	if err != nil {
		t.Fatal(err)
	}
	in := `{"body":"a=1&b=<2>","headers":{"Authorization":"Basic ` + base64.StdEncoding.EncodeToString([]byte("someone:else")) +
		`","X-Token":"Bearer ` + own.Signed + `"},"latency":0.25,"path":"/v1/accounts/acc_samples","requestTimeEpoch":1795687200000}`
	out, err := w.Fill(ctx, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("Fill changed\n%s\ninto\n%s", in, out)
	}
	for _, bad := range []string{"", "[", `{"a":1} {"b":2}`} {
		if _, err := w.Fill(ctx, []byte(bad)); err == nil {
			t.Errorf("Fill(%q) accepted", bad)
		}
	}
}

// A sample token in a form body becomes a real one, the same wherever it
// occurs in the event, and Content-Length follows the body.
func TestFillTokenInBody(t *testing.T) {
	w := newWorld(t, Options{})
	const placeholder = "eyJhbGciOiJFUzI1NiIsImtpZCI6InNhbXBsZSIsInR5cCI6ImF0K2p3dCJ9.e30.c2ln"
	body := "token=" + placeholder + "&token_type_hint=access_token"
	in, _ := json.Marshal(map[string]any{
		"body":              body,
		"headers":           map[string]string{"content-length": "999", "X-Copy": placeholder},
		"multiValueHeaders": map[string][]string{"content-length": {"999"}},
		"requestContext":    map[string]any{"domainName": "abc123.execute-api.us-east-1.amazonaws.com", "stage": "prod"},
	})
	out, err := w.Fill(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Body              string
		Headers           map[string]string
		MultiValueHeaders map[string][]string
	}
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(ev.Body, "token=")
	tok, _, _ = strings.Cut(tok, "&")
	if !ok || tok == placeholder || ev.Headers["X-Copy"] != tok {
		t.Fatalf("body %q, copy %q", ev.Body, ev.Headers["X-Copy"])
	}
	n := len(ev.Body)
	if ev.Headers["content-length"] != itoa(n) || ev.MultiValueHeaders["content-length"][0] != itoa(n) {
		t.Errorf("Content-Length %v %v, body %d bytes", ev.Headers["content-length"], ev.MultiValueHeaders["content-length"], n)
	}
	// A placeholder naming no client becomes a developer token whose
	// subject is on the event's API.
	claims := sampleClaims{}
	if err := decodeSegment(strings.Split(tok, ".")[1], &claims); err != nil {
		t.Fatal(err)
	}
	if want := "https://abc123.execute-api.us-east-1.amazonaws.com/prod/v1/accounts/" + w.Developer.ID; claims.ClientID != w.DeveloperKey.Key.ID || claims.Subject != want {
		t.Errorf("claims %+v, want the developer's with sub %s", claims, want)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// The authorizer context follows its account: the admin's application is
// the administrators', the developer's the developers'.
func TestFillAuthorizerContext(t *testing.T) {
	w := newWorld(t, Options{})
	for _, c := range []struct{ account, want string }{
		{AdminAccountID, w.Boot.AdminApp.ID},
		{DeveloperAccountID, w.Boot.Application.ID},
	} {
		in := `{"requestContext":{"authorizer":{"accountId":"` + c.account + `","applicationId":"app_sample","tenantId":"tnt_sample"}}}`
		out, err := w.Fill(t.Context(), []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			RequestContext struct{ Authorizer map[string]string }
		}
		if err := json.Unmarshal(out, &ev); err != nil {
			t.Fatal(err)
		}
		if a := ev.RequestContext.Authorizer; a["applicationId"] != c.want || a["tenantId"] != w.Boot.Tenant.ID {
			t.Errorf("%s: %v", c.account, a)
		}
	}
}

// Options given are honoured, and Close removes only what Start made.
func TestStartOptions(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t, Options{EventsTable: "my-events", ViewsTable: "my-views", KeysDir: dir, Issuer: "urn:i", Audience: "urn:a"})
	env, err := w.Env("EVENTS_TABLE", "VIEWS_TABLE", "TOKEN_KEYS_DIR", "TOKEN_ISSUER", "TOKEN_AUDIENCE")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"EVENTS_TABLE=my-events", "VIEWS_TABLE=my-views", "TOKEN_KEYS_DIR=" + dir, "TOKEN_ISSUER=urn:i", "TOKEN_AUDIENCE=urn:a"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v", env, want)
	}
	if _, err := w.Env("NO_SUCH_VARIABLE"); err == nil {
		t.Error("Env of an unknown name")
	}
	// The seeded state is in the named tables.
	if _, err := w.Service.GetAccount(t.Context(), w.Admin, w.Developer.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, tokens.KeysFile)); err != nil {
		t.Errorf("the given key directory lost its key file: %v", err)
	}

	own := newWorld(t, Options{})
	if err := own.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(own.KeysDir); !os.IsNotExist(err) {
		t.Errorf("temporary key directory left behind: %v", err)
	}
	if _, err := Start(context.Background(), Options{}); err == nil {
		t.Error("Start without a clock")
	}
}
