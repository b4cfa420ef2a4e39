package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// server runs the local server as `go run ./infra/local` would and returns
// its base URL, the printed bootstrap (if any) and a stop function.
func server(t *testing.T, args ...string) (string, *domain.Credentials, []string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-quiet"}, args...), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base string
	var boot *domain.Credentials
	var lines []string
	deadline := time.AfterFunc(60*time.Second, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if rest, ok := strings.CutPrefix(line, "Keystorm is serving on "); ok {
			base = rest
		}
		if strings.HasPrefix(line, "{") {
			boot = &domain.Credentials{}
			if err := json.Unmarshal([]byte(line), boot); err != nil {
				t.Fatalf("bootstrap line %q: %v", line, err)
			}
			break
		}
		if strings.HasPrefix(line, "Existing tenant") {
			break
		}
	}
	if base == "" {
		t.Fatalf("server did not start: %q", lines)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}
	return base, boot, lines, stop
}

func get(t *testing.T, url, id, secret string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestFirstStartPrintsBootstrapOnce(t *testing.T) {
	base, boot, lines, stop := server(t)
	defer stop()
	if boot == nil || !strings.HasPrefix(boot.APIKeySecret, "kss_") || boot.APIKeyID == "" ||
		!strings.HasPrefix(boot.Tenant, base+"/v1/tenants/") || !strings.HasPrefix(boot.Application, base+"/v1/applications/") {
		t.Fatalf("bootstrap %+v", boot)
	}
	text := strings.Join(lines, "\n")
	if strings.Count(text, boot.APIKeySecret) != 3 { // block, curl hint, JSON line
		t.Fatalf("secret printed %d times:\n%s", strings.Count(text, boot.APIKeySecret), text)
	}
	if code := get(t, boot.Application, boot.APIKeyID, boot.APIKeySecret); code != 200 {
		t.Fatalf("GET application: %d", code)
	}
}

func TestDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	base1, boot, _, stop := server(t, "-data", dir)
	if boot == nil {
		t.Fatal("first start did not bootstrap")
	}
	// A token issued now must still verify after the restart: the signing
	// keys are kept with the data.
	req, _ := http.NewRequest("POST", base1+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token: %d", res.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "token-keys.json")); err != nil {
		t.Fatalf("signing keys not kept with the data: %v", err)
	}
	stop()
	base, again, lines, stop2 := server(t, "-data", dir)
	defer stop2()
	if again != nil {
		t.Fatal("second start bootstrapped again")
	}
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "events replayed") || strings.Contains(text, "(0 events replayed)") {
		t.Fatalf("no replay reported:\n%s", text)
	}
	app := base + boot.Application[strings.Index(boot.Application, "/v1/"):]
	if code := get(t, app, boot.APIKeyID, boot.APIKeySecret); code != 200 {
		t.Fatalf("admin key after restart: %d", code)
	}
	breq, _ := http.NewRequest("GET", app, nil)
	breq.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	bres, err := http.DefaultClient.Do(breq)
	if err != nil {
		t.Fatal(err)
	}
	bres.Body.Close()
	if bres.StatusCode != 200 {
		t.Fatalf("token from before the restart: %d", bres.StatusCode)
	}
}

// TestBusyPortWritesNothing: a first start that cannot listen fails
// before it creates anything, so the next start still bootstraps and
// prints the credentials. Before the fix the tenant was written first and
// its key never shown.
func TestBusyPortWritesNothing(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out bytes.Buffer
	err = run(context.Background(), []string{"-addr", ln.Addr().String(), "-data", dir, "-quiet"}, &out, io.Discard)
	if err == nil {
		t.Fatal("run on a busy port succeeded")
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q", out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a failed start wrote %v", entries)
	}
	_, boot, _, stop := server(t, "-data", dir)
	defer stop()
	if boot == nil {
		t.Fatal("the start after a busy port did not bootstrap")
	}
}

// TestNewAdminKeyRecovery: a tenant whose first key was lost gets a new
// one with -new-admin-key, which then manages the same tenant.
func TestNewAdminKeyRecovery(t *testing.T) {
	dir := t.TempDir()
	_, boot, _, stop := server(t, "-data", dir)
	if boot == nil {
		t.Fatal("first start did not bootstrap")
	}
	stop()
	_, again, lines, stop2 := server(t, "-data", dir, "-new-admin-key")
	if again == nil {
		t.Fatalf("no credentials printed:\n%s", strings.Join(lines, "\n"))
	}
	if again.APIKeyID == boot.APIKeyID || !strings.HasSuffix(again.Tenant, boot.Tenant[strings.Index(boot.Tenant, "/v1/"):]) {
		t.Fatalf("recovered %+v, first %+v", again, boot)
	}
	if code := get(t, again.Application, again.APIKeyID, again.APIKeySecret); code != 200 {
		t.Fatalf("GET application with the new key: %d", code)
	}
	stop2()
	// The key was written to the event log: it still works after a plain
	// restart, which prints no key.
	base, none, _, stop3 := server(t, "-data", dir)
	defer stop3()
	if none != nil {
		t.Fatal("a plain restart printed credentials")
	}
	app := base + again.Application[strings.Index(again.Application, "/v1/"):]
	if code := get(t, app, again.APIKeyID, again.APIKeySecret); code != 200 {
		t.Fatalf("recovered key after restart: %d", code)
	}
	// In memory there is nothing to recover.
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-new-admin-key"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "-data") {
		t.Fatalf("-new-admin-key without -data: %v", err)
	}
}

// TestHelpListsEveryFlagAndExitsZero: -h prints every flag and exits 0,
// and the README documents each flag it prints.
func TestHelpListsEveryFlagAndExitsZero(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-h"}, io.Discard, &stderr)
	if code := exitCode(err, io.Discard); code != 0 {
		t.Fatalf("-h: exit %d (%v)", code, err)
	}
	if code := exitCode(run(context.Background(), []string{"-no-such-flag"}, io.Discard, io.Discard), io.Discard); code == 0 {
		t.Fatal("an unknown flag exits 0")
	}
	var flags []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if name, ok := strings.CutPrefix(line, "  -"); ok {
			flags = append(flags, strings.Fields(name)[0])
		}
	}
	for _, want := range []string{"addr", "data", "auth-cache-ttl", "quiet", "new-admin-key", "tenant-id"} {
		if !slices.Contains(flags, want) {
			t.Errorf("-h does not list -%s:\n%s", want, stderr.String())
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flags {
		if !strings.Contains(string(readme), "`-"+f) {
			t.Errorf("README does not document -%s", f)
		}
	}
}
