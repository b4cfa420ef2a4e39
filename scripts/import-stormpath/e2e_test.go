package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
)

// server is a local stack over an imported data directory, called
// in-process.
type server struct {
	t     *testing.T
	s     *stack.Stack
	admin [2]string
}

func (sv *server) do(method, path string, body any, user, pass string) (int, map[string]any) {
	sv.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			sv.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:3000"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	rec := httptest.NewRecorder()
	sv.s.Gateway.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// login is a login attempt at an application, as its backend makes it.
func (sv *server) login(app, name, password string) (int, map[string]any) {
	sv.t.Helper()
	value := base64.StdEncoding.EncodeToString([]byte(name + ":" + password))
	return sv.do("POST", "/v1/applications/"+app+"/loginAttempts", map[string]any{"type": "basic", "value": value}, sv.admin[0], sv.admin[1])
}

// authenticate asks the authenticate endpoint about a key at app.
func (sv *server) authenticate(app, id, secret string) bool {
	sv.t.Helper()
	header := "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	code, got := sv.do("POST", "/v1/applications/"+app+"/authenticate", map[string]any{"authorization": header}, sv.admin[0], sv.admin[1])
	if code != http.StatusOK {
		sv.t.Fatalf("authenticate: %d %v", code, got)
	}
	valid := got["valid"] == true
	if valid {
		if h, _ := got["apiKey"].(map[string]any)["href"].(string); !strings.HasSuffix(h, "/v1/apiKeys/"+id) {
			sv.t.Fatalf("authenticate: %v", got)
		}
	}
	return valid
}

// TestImportedCredentialsWork: after an import, the local server takes
// the imported passwords at an application's loginAttempts, through the
// mappings (an account of a directory the application does not map is
// unknown there), re-hashing them on the first login; and the imported
// keys authenticate on the example API and at the authenticate endpoint,
// with their status, at the applications that map their directory.
func TestImportedCredentialsWork(t *testing.T) {
	dir, fx := export(t)
	data := t.TempDir()
	code, sum, stderr := importRun(t, "-export", dir, "-data", data)
	if code != 0 || sum.NewAdminKey == nil {
		t.Fatalf("import: %d %s", code, stderr)
	}
	s, err := stack.Start(context.Background(), stack.Options{Store: stack.StoreSQLite, DataDir: data, PublicURL: "http://127.0.0.1:3000",
		Applications: []string{fx.Apps[0]}, Hasher: domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sv := &server{t: t, s: s, admin: [2]string{sum.NewAdminKey.APIKeyID, sum.NewAdminKey.APIKeySecret}}
	first, second := fx.Apps[0], fx.Apps[1]

	for _, c := range []struct {
		app, user, password string
		status, code        int
	}{
		{first, "han", "Kessel-Run-12", 200, 0},             // bcrypt
		{first, "luke", "Red-Five-Standing-By", 200, 0},     // stormpath2 SHA-256 × 1000
		{first, "vector", exportgen.VectorPassword, 200, 0}, // Stormpath's published vector
		{second, "rey", "Jakku-Scavenger-9", 200, 0},        // stormpath2 SHA-512, the second directory
		{first, "rey", "Jakku-Scavenger-9", 400, 7100},      // not mapped to the first application
		{first, "han", "Kessel-Run-13", 400, 7100},
		{first, "leia", "anything", 400, 7100},      // stormpath1: no usable password
		{first, "vader", "Dark-Side-77", 400, 7101}, // DISABLED kept
		{first, "han", "Kessel-Run-12", 200, 0},     // again, now argon2id
		{second, "vector", exportgen.VectorPassword, 200, 0},
	} {
		status, got := sv.login(c.app, c.user, c.password)
		if status != c.status {
			t.Fatalf("%s at %s: %d %v", c.user, c.app, status, got)
		}
		if c.status == 200 {
			if h, _ := got["account"].(map[string]any)["href"].(string); !strings.HasSuffix(h, "/v1/accounts/"+fx.Account(c.user).ID) {
				t.Fatalf("%s: %v", c.user, got)
			}
		} else if got["code"] != float64(c.code) {
			t.Fatalf("%s at %s: %v, want code %d", c.user, c.app, got, c.code)
		}
	}
	var han domain.Account
	if err := s.Store.Load(context.Background(), domain.Ref{Kind: domain.KindAccount, ID: fx.Account("han").ID}, &han); err != nil || !strings.HasPrefix(han.PasswordHash, "$argon2id$") {
		t.Fatalf("han's hash after a login: %v", err)
	}

	hanKey, reyKey := fx.Account("han").Keys[0], fx.Account("rey").Keys[0]
	if !sv.authenticate(first, hanKey.ID, hanKey.Secret) || !sv.authenticate(second, hanKey.ID, hanKey.Secret) {
		t.Fatal("han's imported key does not authenticate at the applications mapping his directory")
	}
	if sv.authenticate(first, reyKey.ID, reyKey.Secret) || !sv.authenticate(second, reyKey.ID, reyKey.Secret) {
		t.Fatal("rey's key: wrong answer at one of the applications")
	}
	if sv.authenticate(first, hanKey.ID, reyKey.Secret) {
		t.Fatal("a wrong secret authenticated")
	}
	// bigco's seventh key was exported DISABLED.
	if big := fx.Account("bigco").Keys; big[6].Enabled || sv.authenticate(first, big[6].ID, big[6].Secret) || !sv.authenticate(first, big[0].ID, big[0].Secret) {
		t.Fatal("an imported key's status was not kept")
	}
	// The example API is bound to the first application.
	if code, got := sv.do("GET", "/troopers/han/equipment", nil, hanKey.ID, hanKey.Secret); code != 200 {
		t.Fatalf("example API with han's key: %d %v", code, got)
	}
	if code, _ := sv.do("GET", "/troopers/rey/equipment", nil, reyKey.ID, reyKey.Secret); code != 401 {
		t.Fatal("example API took a key of a directory its application does not map")
	}
}
