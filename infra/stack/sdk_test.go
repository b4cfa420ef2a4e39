package stack_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/infra/stack"
)

// sdkCheckTimeout bounds the whole Node run; check.js has its own per-step
// timeout, set below so that a hung step is reported before this one hits.
const sdkCheckTimeout = 2 * time.Minute

var sdkSummary = regexp.MustCompile(`^(\d+) passed, (\d+) failed$`)

// sdkCheckDir is scripts/sdkcheck at the module root (the directory of
// template.yaml).
func sdkCheckDir(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := stack.FindTemplate(wd)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(tpl), "scripts", "sdkcheck")
}

// TestStormpathNodeSDK runs scripts/sdkcheck/check.js, which drives the
// real Stormpath Node SDK (stormpath 0.20.1) through every management
// operation the SDK must be able to do, against the whole stack served on
// loopback. It needs node and `npm ci --prefix scripts/sdkcheck`
// (scripts/test does that); without them it fails rather than skips, so a
// broken SDK setup cannot pass silently.
func TestStormpathNodeSDK(t *testing.T) {
	const setup = "run `npm ci --prefix scripts/sdkcheck` (scripts/test does it for you)"
	dir := sdkCheckDir(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed or not on PATH (%v): install Node.js, then %s", err, setup)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "stormpath", "package.json")); err != nil {
		t.Fatalf("the Stormpath SDK is not installed in %s (%v): %s", filepath.Join(dir, "node_modules"), err, setup)
	}

	c := start(t)
	// The mail drop: check.js reads the reset link the SDK's
	// sendPasswordResetEmail had mailed from here, as a user reads the
	// mail, then finishes the reset with the SDK.
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "To: " + r.URL.Query().Get("to") + "\r\n"
		msgs := c.mails()
		for i := len(msgs) - 1; i >= 0; i-- {
			if m := tokenIn.FindStringSubmatch(msgs[i]); m != nil && strings.Contains(msgs[i], to) {
				_, _ = w.Write([]byte(m[1]))
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(drop.Close)

	ctx, cancel := context.WithTimeout(context.Background(), sdkCheckTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "check.js"))
	cmd.Dir = dir
	// Later entries win over the inherited ones.
	cmd.Env = append(os.Environ(),
		"KEYSTORM_SDK_BASE_URL="+c.base+"/v1",
		"KEYSTORM_API_KEY_ID="+c.id,
		"KEYSTORM_API_KEY_SECRET="+c.secret,
		"KEYSTORM_APPLICATION_HREF="+c.app,
		"KEYSTORM_SDKCHECK_KEEP=",
		"KEYSTORM_SDKCHECK_TIMEOUT_MS=20000",
		"KEYSTORM_SDKCHECK_MAIL_URL="+drop.URL,
		// The SDK's HTTP client (request) honours HTTP_PROXY; loopback
		// must never go through a proxy.
		"NO_PROXY=*", "no_proxy=*",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// On timeout node is killed; don't then wait forever for output pipes
	// still held open by anything it started.
	cmd.WaitDelay = 5 * time.Second

	began := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(began).Round(time.Millisecond)

	output := strings.TrimRight(out.String(), "\n")
	lines := strings.Split(output, "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("check.js did not finish within %s; output:\n%s", sdkCheckTimeout, output)
	case runErr != nil:
		t.Fatalf("check.js failed (%v) after %s; output:\n%s", runErr, elapsed, output)
	}
	m := sdkSummary.FindStringSubmatch(last)
	if m == nil || m[2] != "0" || m[1] == "0" {
		t.Fatalf("check.js exited 0 but its last line is %q, want \"N passed, 0 failed\"; output:\n%s", last, output)
	}
	t.Logf("Stormpath Node SDK: %s in %s", last, elapsed)
}
