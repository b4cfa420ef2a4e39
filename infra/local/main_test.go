package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// server runs the local server as `go run ./infra/local` would and returns
// its base URL, the printed bootstrap (if any) and a stop function.
func server(t *testing.T, args ...string) (string, *domain.Credentials, []string, func()) {
	t.Helper()
	return serverWith(t, defaultLimits, args...)
}

// serverWith is server with other connection limits.
func serverWith(t *testing.T, lim limits, args ...string) (string, *domain.Credentials, []string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, append([]string{"-addr", "127.0.0.1:0", "-quiet"}, args...), pw, io.Discard, lim)
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

// TestDataDirSurvivesRestart runs on both stores: the default SQLite
// keeps DIR/keystorm.db and replays nothing; -store dynamodb keeps the
// event log DIR/events.jsonl and replays it.
func TestDataDirSurvivesRestart(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		file, none string // kept; never written
		banner     func(string) bool
	}{
		{nil, "keystorm.db", "events.jsonl", func(text string) bool {
			return strings.Contains(text, "Store: SQLite at ") && strings.Contains(text, "(opened, nothing replayed)") &&
				strings.Contains(text, "Mail: each message written as an .eml file to ") && strings.Contains(text, "outbox")
		}},
		{[]string{"-store", "dynamodb"}, "events.jsonl", "keystorm.db", func(text string) bool {
			return strings.Contains(text, "events replayed") && !strings.Contains(text, "(0 events replayed)")
		}},
	} {
		t.Run(tc.file, func(t *testing.T) { dataDirSurvivesRestart(t, tc.args, tc.file, tc.none, tc.banner) })
	}
}

func dataDirSurvivesRestart(t *testing.T, args []string, file, none string, banner func(string) bool) {
	dir := t.TempDir()
	args = append(args, "-data", dir)
	base1, boot, _, stop := server(t, args...)
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
	if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
		t.Fatalf("data not kept in %s: %v", file, err)
	}
	if _, err := os.Stat(filepath.Join(dir, none)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s written by the other store's start: %v", none, err)
	}
	base, again, lines, stop2 := server(t, args...)
	defer stop2()
	if again != nil {
		t.Fatal("second start bootstrapped again")
	}
	if text := strings.Join(lines, "\n"); !banner(text) {
		t.Fatalf("banner:\n%s", text)
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
	for _, want := range []string{"addr", "public-url", "data", "auth-cache-ttl", "quiet", "new-admin-key", "tenant-id", "applications"} {
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

// closedByServer reads conn until the server closes it and returns what
// came before. The deadline only guards against a hang: reaching it fails
// the test (the server kept the connection open), it measures nothing.
func closedByServer(t *testing.T, conn net.Conn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
	b, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the server did not close the connection: %v (read %q)", err, b)
	}
	return string(b)
}

// The server cuts off what a client leaves half-sent or idle, and refuses
// oversized headers: with the limits shortened, a real TCP client sees
// each connection closed by the server.
func TestServerLimitsCloseConnections(t *testing.T) {
	lim := limits{readHeader: time.Second, read: time.Second, write: 30 * time.Second, idle: time.Second, maxHeaderBytes: 1 << 10}
	base, _, _, stop := serverWith(t, lim)
	defer stop()
	addr := strings.TrimPrefix(base, "http://")
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	send := func(conn net.Conn, s string) {
		if _, err := io.WriteString(conn, s); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("half-sent headers", func(t *testing.T) {
		conn := dial()
		send(conn, "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n")
		if got := closedByServer(t, conn); got != "" {
			t.Fatalf("answered %q", got)
		}
	})
	t.Run("half-sent body", func(t *testing.T) {
		conn := dial()
		send(conn, "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=")
		// Whatever the server answers first, it must hang up.
		if got := closedByServer(t, conn); got != "" && !strings.HasPrefix(got, "HTTP/1.1 400 ") {
			t.Fatalf("answered %q", got)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial()
		send(conn, "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Close {
			t.Fatalf("%d, close %v", res.StatusCode, res.Close)
		}
		// The connection stays for keep-alive, until it has idled.
		_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
		if b, err := io.ReadAll(br); err != nil || len(b) != 0 {
			t.Fatalf("the server did not close the idle connection: %v %q", err, b)
		}
	})
	t.Run("oversized headers", func(t *testing.T) {
		conn := dial()
		send(conn, "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 8<<10)+"\r\n\r\n")
		if got := closedByServer(t, conn); !strings.HasPrefix(got, "HTTP/1.1 431 ") {
			t.Fatalf("answered %q", got)
		}
	})
}

// No limit is left at net/http's default of none.
func TestDefaultLimitsAreSet(t *testing.T) {
	l := defaultLimits
	if l.readHeader <= 0 || l.read < l.readHeader || l.write <= l.read || l.idle <= 0 || l.maxHeaderBytes <= 0 {
		t.Fatalf("%+v", l)
	}
}

// -public-url is the base of every href, printed and served, whatever
// Host a client sends; a malformed one fails the start before anything
// is written.
func TestPublicURLFlag(t *testing.T) {
	const public = "https://keystorm.example/base"
	base, boot, lines, stop := server(t, "-public-url", public+"/")
	defer stop()
	if boot == nil || !strings.HasPrefix(boot.Application, public+"/v1/applications/") || !strings.HasPrefix(boot.Tenant, public+"/v1/tenants/") {
		t.Fatalf("bootstrap %+v", boot)
	}
	if !slices.Contains(lines, "Public URL (hrefs, Location, token subjects): "+public) {
		t.Fatalf("banner:\n%s", strings.Join(lines, "\n"))
	}
	app := base + boot.Application[len(public):]
	req, _ := http.NewRequest("GET", app, nil)
	req.Host = "evil.example"
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Href string }
	_ = json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if res.StatusCode != 200 || got.Href != boot.Application {
		t.Fatalf("%d href %q, want %q", res.StatusCode, got.Href, boot.Application)
	}

	dir := t.TempDir()
	for _, bad := range []string{"keystorm.example", "ftp://keystorm.example", "https://keystorm.example/?q=1", "https://u:p@keystorm.example", "https://keystorm.example/\u2028"} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", dir, "-public-url", bad}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "public URL") {
			t.Errorf("-public-url %q: %v", bad, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused start wrote %v", entries)
	}
}

// forgedLine is what an attacker would like to find in the logs.
const forgedLine = `{"level":"ERROR","msg":"FORGED"}`

// TestForgedPathsKeepLogsJSON runs the real server binary and sends it
// paths that used to write a forged log line (the proxy library printed
// the decoded path raw to stdout on its way to a 502), on a public route,
// two management routes and the example API. Each answers 400; after the
// banner, nothing more reaches stdout, and every stderr line is a slog
// JSON record. Only a separate process shows what really reaches the
// streams: a library printing to os.Stdout bypasses run's writers.
func TestForgedPathsKeepLogsJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "keystorm-local")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var banner, after []string
	var boot domain.Credentials
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for line := range lines {
		banner = append(banner, line)
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &boot); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if boot.APIKeyID == "" {
		_ = cmd.Process.Kill()
		t.Fatalf("no credentials:\n%s\n%s", strings.Join(banner, "\n"), stderr.String())
	}
	base := boot.Application[:strings.Index(boot.Application, "/v1/")]
	acc := base + "/v1/accounts/" + boot.Application[strings.LastIndex(boot.Application, "/")+1:]

	payloads := []string{
		"x\n" + forgedLine + "\n", "x\r" + forgedLine + "\r", "x\r\n" + forgedLine, "x\u2028" + forgedLine + "\u2029",
		"x\x1b[2K\r" + forgedLine, "x\x1b]0;owned\x07", "x\x00", "x\x7f", "x\u0085" + forgedLine, "x\xff\xfe", "x%0A" + forgedLine, "x%zz",
	}
	targets := []struct{ method, before, after string }{
		{"POST", base + "/v1/applications/", "/oauth/token"},
		{"GET", base + "/v1/accounts/", ""},
		{"DELETE", acc + "/customData/", ""},
		{"GET", base + "/troopers/", "/equipment"},
	}
	n := 0
	for _, p := range payloads {
		for _, tg := range targets {
			req, err := http.NewRequest(tg.method, tg.before+url.PathEscape(p)+tg.after, strings.NewReader("grant_type=client_credentials"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var e struct{ Status, Code int }
			if res.StatusCode != 400 || json.Unmarshal(b, &e) != nil || e.Code != 8003 {
				t.Errorf("%s %s: %d %s", tg.method, req.URL.EscapedPath(), res.StatusCode, b)
			}
			n++
		}
	}
	// Bytes no client library sends: raw control characters and a bad
	// escape on the wire. The HTTP server refuses them before routing.
	for _, path := range []string{"/v1/accounts/x\n" + forgedLine, "/v1/accounts/%zz", "/v1/accounts/x\x1b[31m"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if got := closedByServer(t, conn); !strings.HasPrefix(got, "HTTP/1.1 400 ") {
			t.Errorf("raw %q: %q", path, got)
		}
		conn.Close()
	}
	t.Logf("%d forged requests", n)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for line := range lines {
		after = append(after, line)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("server: %v", err)
	}
	if len(after) != 0 {
		t.Errorf("stdout after the banner: %q", after)
	}
	logs := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(logs) < n {
		t.Errorf("%d log lines for %d requests", len(logs), n)
	}
	for _, line := range append(append(banner, after...), logs...) {
		if strings.HasPrefix(line, forgedLine) || strings.Contains(line, `"msg":"FORGED"`) {
			t.Errorf("forged line: %q", line)
		}
	}
	for _, line := range logs {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["time"] == nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("not a slog JSON line: %q", line)
		}
	}
}

// TestApplicationsFlag: the example API takes the bootstrap application's
// keys by default, and only the applications -applications names when
// given; the banner says which.
func TestApplicationsFlag(t *testing.T) {
	devKey := func(boot *domain.Credentials) (string, string) {
		t.Helper()
		post := func(url, body string) map[string]any {
			t.Helper()
			req, _ := http.NewRequest("POST", url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var m map[string]any
			if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 201 {
				t.Fatalf("POST %s: %d %v", url, res.StatusCode, err)
			}
			return m
		}
		acc := post(boot.Application+"/accounts", `{"username":"tk421","email":"tk421@example.com","password":"Changeme1"}`)
		k := post(acc["href"].(string)+"/apiKeys", "")
		return k["id"].(string), k["secret"].(string)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 200},
		{[]string{"-applications", "someOtherApplication"}, 401},
		{[]string{"-applications", "*"}, 200},
	} {
		base, boot, lines, stop := server(t, tc.args...)
		id, secret := devKey(boot)
		if got := get(t, base+"/troopers/tk421/equipment", id, secret); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.args, got, tc.want)
		}
		wantLine := "Example API bound to application " + boot.Application[strings.LastIndex(boot.Application, "/")+1:]
		if tc.args != nil {
			wantLine = "Example API bound to application " + tc.args[1]
		}
		if !slices.Contains(lines, wantLine) {
			t.Errorf("%v: banner lacks %q:\n%s", tc.args, wantLine, strings.Join(lines, "\n"))
		}
		stop()
	}
}

// TestSQLiteRestartReadsNoLog: a restart on SQLite opens the database and
// reads no event log. The proof is observable, not timed: an events.jsonl
// damaged in the middle (which any replay or import refuses, see
// TestJournalImportedOnce) sits in the directory, and the restart still
// serves the data, saying it replayed nothing.
func TestSQLiteRestartReadsNoLog(t *testing.T) {
	dir := t.TempDir()
	_, boot, _, stop := server(t, "-data", dir)
	if boot == nil {
		t.Fatal("first start did not bootstrap")
	}
	stop()
	if err := os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte("damaged\n{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base, again, lines, stop2 := server(t, "-data", dir)
	defer stop2()
	text := strings.Join(lines, "\n")
	if again != nil || !strings.Contains(text, "(opened, nothing replayed)") {
		t.Fatalf("restart:\n%s", text)
	}
	app := base + boot.Application[strings.Index(boot.Application, "/v1/"):]
	if code := get(t, app, boot.APIKeyID, boot.APIKeySecret); code != 200 {
		t.Fatalf("admin key after restart: %d", code)
	}
}

// TestJournalImportedOnce: a data directory of the DynamoDB-era server
// (its events.jsonl) moves to SQLite on the first default start, with
// every key working and the file left as it was; the next start does not
// import again (it would refuse the damaged copy planted to tell).
func TestJournalImportedOnce(t *testing.T) {
	dir := t.TempDir()
	base, boot, _, stop := server(t, "-store", "dynamodb", "-data", dir)
	if boot == nil {
		t.Fatal("first start did not bootstrap")
	}
	acc := base + boot.Application[strings.Index(boot.Application, "/v1/"):] + "/accounts"
	body := strings.NewReader(`{"email":"tk421@galacticempire.co","password":"Changeme1"}`)
	req, _ := http.NewRequest("POST", acc, body)
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("create account: %d", res.StatusCode)
	}
	stop()
	file := filepath.Join(dir, "events.jsonl")
	log, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	events := bytes.Count(log, []byte("\n"))

	base, again, lines, stop2 := server(t, "-data", dir)
	text := strings.Join(lines, "\n")
	if again != nil || !strings.Contains(text, fmt.Sprintf("(imported %d events from %s once", events, file)) {
		t.Fatalf("import start (%d events in the log):\n%s", events, text)
	}
	acc = base + acc[strings.Index(acc, "/v1/"):]
	if n := accounts(t, acc, boot); n != 1 {
		t.Fatalf("accounts after the import: %d", n)
	}
	stop2()
	if after, err := os.ReadFile(file); err != nil || !bytes.Equal(after, log) {
		t.Fatalf("events.jsonl not left as it was: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keystorm.db")); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(file, append([]byte("damaged\n"), log...), 0o600); err != nil {
		t.Fatal(err)
	}
	base, none, lines, stop3 := server(t, "-data", dir)
	defer stop3()
	if text := strings.Join(lines, "\n"); none != nil || !strings.Contains(text, "(opened, nothing replayed)") {
		t.Fatalf("second start:\n%s", text)
	}
	if n := accounts(t, base+acc[strings.Index(acc, "/v1/"):], boot); n != 1 {
		t.Fatalf("accounts after the second start: %d", n)
	}
	// The same damaged log would have stopped an import: the check above
	// can fail.
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "events.jsonl"), append([]byte("damaged\n"), log...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", empty, "-quiet"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "import") {
		t.Fatalf("import of a damaged log: %v", err)
	}
}

// TestStoreFlag: an unknown store, or SQLite beside DYNAMODB_ENDPOINT, is
// refused before anything is written.
func TestStoreFlag(t *testing.T) {
	dir := t.TempDir()
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-store", "postgres", "-data", dir}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("-store postgres: %v", err)
	}
	t.Setenv("DYNAMODB_ENDPOINT", "http://127.0.0.1:1")
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-store", "sqlite", "-data", dir}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "SQLite") {
		t.Fatalf("-store sqlite with DYNAMODB_ENDPOINT: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused start wrote %v", entries)
	}
}

// accounts returns the size of an application's account collection.
func accounts(t *testing.T, url string, boot *domain.Credentials) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(boot.APIKeyID, boot.APIKeySecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Size int `json:"size"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return page.Size
}
