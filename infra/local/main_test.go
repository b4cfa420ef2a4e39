package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
