package stack_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// syncBuffer is a log sink the stack's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMail starts a stack on store whose log is kept, with dataDir
// ("" for memory), and no padding (TestPasswordResetPadded has it).
func startMail(t *testing.T, store, dataDir string) (*client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	clock := newClock()
	srv := httptest.NewUnstartedServer(nil)
	s, err := stack.Start(context.Background(), stack.Options{Store: store, Hasher: cheapHasher, Clock: clock, DataDir: dataDir,
		PublicURL: "http://" + srv.Listener.Addr().String(), Log: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Service.MailFloor = 0
	srv.Config.Handler = s.Gateway
	srv.Start()
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, id: s.Boot.AdminKey.ID, secret: s.Boot.AdminSecret, s: s, clock: clock,
		app: srv.URL + "/v1/applications/" + s.Boot.Application.ID}, logs
}

// mails returns the bodies the in-memory outbox holds.
func (c *client) mails() []string {
	var out []string
	for _, m := range c.s.Outbox.Messages() {
		out = append(out, string(m))
	}
	return out
}

var tokenIn = regexp.MustCompile(`/(?:passwordResetTokens|emailVerificationTokens)/([A-Za-z0-9_-]{43})`)

// lastMailToken returns the href and token of the last mail's link.
func (c *client) lastMailToken() (string, string) {
	c.t.Helper()
	all := c.mails()
	if len(all) == 0 {
		c.t.Fatal("no mail")
	}
	m := regexp.MustCompile(`(?m)^(http\S+/([A-Za-z0-9_-]{43}))\r$`).FindStringSubmatch(all[len(all)-1])
	if m == nil {
		c.t.Fatalf("no link in %q", all[len(all)-1])
	}
	return m[1], m[2]
}

// TestPasswordResetHTTP runs the reset flow over HTTP on both stores (the
// token lookup is a uniqueness guard, store behaviour): the same answer
// for a known and an unknown address, the mail's link works once, bad
// input is 400 with nothing stored, other tenants and applications get
// 404, tokens expire, and no token reaches a log.
func TestPasswordResetHTTP(t *testing.T) {
	for _, store := range []string{stack.StoreSQLite, stack.StoreDynamoDB} {
		t.Run(store, func(t *testing.T) { testPasswordResetHTTP(t, store) })
	}
}

func testPasswordResetHTTP(t *testing.T, store string) {
	c, logs := startMail(t, store, "")
	acc := c.newAccount("tk421")
	tokens := c.app + "/passwordResetTokens"

	known := c.must(200, c.do("POST", tokens, map[string]any{"email": "tk421@galacticempire.co"}))
	unknown := c.must(200, c.do("POST", tokens, map[string]any{"email": "vader@galacticempire.co"}))
	if known["href"] != tokens || unknown["href"] != tokens || len(known) != 2 || len(unknown) != 2 {
		t.Fatalf("answers differ in shape: %v / %v", known, unknown)
	}
	if n := len(c.mails()); n != 1 {
		t.Fatalf("%d mails", n)
	}
	link, tok := c.lastMailToken()
	if link != tokens+"/"+tok || !strings.Contains(c.mails()[0], "To: tk421@galacticempire.co\r\n") {
		t.Fatalf("link %s in %s", link, c.mails()[0])
	}
	got := c.must(200, c.do("GET", link, nil))
	if href(got, "account") != acc["href"] || got["email"] != "tk421@galacticempire.co" || got["href"] != link {
		t.Fatalf("token %v", got)
	}

	// Bad input: 400, nothing stored.
	events := c.eventCount()
	for _, bad := range []struct {
		url  string
		body string
		code int
	}{
		{tokens, `{}`, domain.CodeRequired},
		{tokens, `{"email":"not an address"}`, domain.CodeInvalidEmail},
		{tokens, `{"email":7}`, domain.CodeWrongType},
		{tokens, `{"email":"tk421@galacticempire.co","login":"tk421"}`, domain.CodeUnknownProperty},
		{tokens, `[`, domain.CodeMalformedJSON},
		{link, `{}`, domain.CodeRequired},
		{link, `{"password":"short"}`, domain.CodeWeakPassword},
		{link, `{"password":["Newpassw0rd"]}`, domain.CodeWrongType},
		{link, `{"password":"Newpassw0rd","extra":1}`, domain.CodeUnknownProperty},
		{c.base + "/v1/passwordPolicies/" + c.s.Boot.Application.ID, `{"resetTokenTtl":0}`, domain.CodeInvalidValue},
		{c.base + "/v1/passwordPolicies/" + c.s.Boot.Application.ID, `{"resetTokenTtl":"PT1H"}`, domain.CodeWrongType},
		{c.base + "/v1/passwordPolicies/" + c.s.Boot.Application.ID, `{"resetEmailStatus":"OFF"}`, domain.CodeInvalidStatus},
		{c.base + "/v1/passwordPolicies/" + c.s.Boot.Application.ID, `{"linkBaseUrl":"http://galacticempire.co/reset"}`, domain.CodeInvalidValue},
		{c.base + "/v1/accountCreationPolicies/" + c.s.Boot.Application.ID, `{"verificationEmailStatus":true}`, domain.CodeWrongType},
		{c.base + "/v1/accountCreationPolicies/" + c.s.Boot.Application.ID, `{"welcome":1}`, domain.CodeUnknownProperty},
		{c.base + "/v1/accountCreationPolicies/" + c.s.Boot.Application.ID, `{"selfRegistrationStatus":"YES"}`, domain.CodeInvalidStatus},
		{c.base + "/v1/accountCreationPolicies/" + c.s.Boot.Application.ID, `{"selfRegistrationStatus":1}`, domain.CodeWrongType},
	} {
		r := c.do("POST", bad.url, bad.body)
		if r.Status != 400 || code(t, r) != bad.code {
			t.Errorf("POST %s %s: %d %s, want 400/%d", bad.url, bad.body, r.Status, r.Body, bad.code)
		}
	}
	if c.eventCount() != events {
		t.Fatal("bad input wrote events")
	}

	// Another tenant: 404 on our application, and our token under its own.
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.as(other.AdminKey.ID, other.AdminSecret)
	if r := o.do("POST", tokens, map[string]any{"email": "tk421@galacticempire.co"}); r.Status != 404 {
		t.Fatalf("other tenant: %d %s", r.Status, r.Body)
	}
	for _, u := range []string{link, c.base + "/v1/applications/" + other.Application.ID + "/passwordResetTokens/" + tok} {
		if r := o.do("GET", u, nil); r.Status != 404 || code(t, r) != domain.CodeNotFound {
			t.Fatalf("other tenant GET %s: %d %s", u, r.Status, r.Body)
		}
	}
	// Another application of the same tenant: 404.
	app2 := c.must(201, c.do("POST", "/v1/applications", map[string]any{"name": "Second"}))
	if r := c.do("GET", app2["href"].(string)+"/passwordResetTokens/"+tok, nil); r.Status != 404 {
		t.Fatalf("other application: %d", r.Status)
	}

	// Use it: the password changes, and the token is spent.
	done := c.must(200, c.do("POST", link, map[string]any{"password": "Newpassw0rd"}))
	if href(done, "account") != acc["href"] {
		t.Fatalf("reset answer %v", done)
	}
	c.must(200, c.login("tk421", "Newpassw0rd"))
	for _, m := range []string{"GET", "POST"} {
		r := c.do(m, link, map[string]any{"password": "Otherpassw0rd"})
		if r.Status != 404 || code(t, r) != domain.CodeNotFound {
			t.Fatalf("second %s: %d %s", m, r.Status, r.Body)
		}
	}
	if all := c.mails(); len(all) != 2 || !strings.Contains(all[1], "password was changed") {
		t.Fatalf("confirmation: %d mails", len(all))
	}

	// Expiry per policy: 1 hour.
	pol := c.must(200, c.do("POST", "/v1/passwordPolicies/"+c.s.Boot.Application.ID, map[string]any{"resetTokenTtl": 1}))
	if pol["resetTokenTtl"] != float64(1) || pol["resetEmailStatus"] != "ENABLED" || pol["linkBaseUrl"] != "" {
		t.Fatalf("policy %v", pol)
	}
	c.must(200, c.do("POST", tokens, map[string]any{"email": "tk421@galacticempire.co"}))
	late, lateTok := c.lastMailToken()
	c.clock.Advance(time.Hour)
	if r := c.do("GET", late, nil); r.Status != 404 {
		t.Fatalf("expired: %d", r.Status)
	}

	// No token in any log line; the outbox's line and redacted paths are.
	text := logs.String()
	for _, secret := range []string{tok, lateTok} {
		if strings.Contains(text, secret) {
			t.Fatalf("a token reached the log")
		}
	}
	if !strings.Contains(text, "mail kept in memory") || !strings.Contains(text, "/passwordResetTokens/{token}") {
		t.Fatalf("log lacks the outbox or the redacted path:\n%s", text)
	}
}

// TestEmailVerificationHTTP: with the account creation policy on, a new
// account is UNVERIFIED, its create answer holds the live link (reads do
// not: only the hash is kept), the mail holds the same link, a resend
// answers 202 for any login, and the token verifies once.
func TestEmailVerificationHTTP(t *testing.T) {
	c, logs := startMail(t, stack.StoreSQLite, "")
	appID := c.s.Boot.Application.ID
	pol := c.must(200, c.do("GET", "/v1/accountCreationPolicies/"+appID, nil))
	if pol["verificationEmailStatus"] != "DISABLED" || pol["selfRegistrationStatus"] != "DISABLED" || href(pol, "application") != c.app {
		t.Fatalf("default policy %v", pol)
	}
	c.must(200, c.do("POST", "/v1/accountCreationPolicies/"+appID, map[string]any{"verificationEmailStatus": "ENABLED", "verificationSuccessEmailStatus": "DISABLED"}))
	// Self-registration is set on its own and kept by other changes.
	if pol := c.must(200, c.do("POST", "/v1/accountCreationPolicies/"+appID, map[string]any{"selfRegistrationStatus": "ENABLED"})); pol["selfRegistrationStatus"] != "ENABLED" || pol["verificationEmailStatus"] != "ENABLED" {
		t.Fatalf("self-registration on: %v", pol)
	}
	if pol := c.must(200, c.do("GET", "/v1/accountCreationPolicies/"+appID, nil)); pol["selfRegistrationStatus"] != "ENABLED" || pol["verificationSuccessEmailStatus"] != "DISABLED" {
		t.Fatalf("read back: %v", pol)
	}
	if pol := c.must(200, c.do("POST", "/v1/accountCreationPolicies/"+appID, map[string]any{"selfRegistrationStatus": "DISABLED"})); pol["selfRegistrationStatus"] != "DISABLED" || pol["verificationEmailStatus"] != "ENABLED" {
		t.Fatalf("self-registration off: %v", pol)
	}
	acc := c.newAccount("tk421")
	link := href(acc, "emailVerificationToken")
	if acc["status"] != "UNVERIFIED" || !strings.HasPrefix(link, c.base+"/v1/accounts/emailVerificationTokens/") {
		t.Fatalf("created %v", acc)
	}
	mailLink, tok := c.lastMailToken()
	if mailLink != link {
		t.Fatalf("mail link %s, create link %s", mailLink, link)
	}
	if got := c.must(200, c.do("GET", acc["href"].(string), nil)); got["emailVerificationToken"] != nil {
		t.Fatalf("read shows %v", got["emailVerificationToken"])
	}
	// A resend: 202 for an unknown login and for the account alike; the
	// account's earlier link dies.
	for _, login := range []string{"nobody", "tk421"} {
		r := c.do("POST", c.app+"/verificationEmails", map[string]any{"login": login})
		if r.Status != 202 || len(r.Body) != 0 {
			t.Fatalf("resend %s: %d %s", login, r.Status, r.Body)
		}
	}
	if r := c.do("POST", c.app+"/verificationEmails", `{}`); r.Status != 400 || code(t, r) != domain.CodeRequired {
		t.Fatalf("resend without login: %d %s", r.Status, r.Body)
	}
	if n := len(c.mails()); n != 2 {
		t.Fatalf("%d mails", n)
	}
	if r := c.do("POST", link, nil); r.Status != 404 {
		t.Fatalf("replaced link: %d", r.Status)
	}
	fresh, freshTok := c.lastMailToken()
	// Another tenant: 404.
	other, err := c.s.Service.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: "rebels"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.as(other.AdminKey.ID, other.AdminSecret).do("POST", fresh, nil); r.Status != 404 {
		t.Fatalf("other tenant: %d", r.Status)
	}
	v := c.must(200, c.do("POST", fresh, nil))
	if v["href"] != acc["href"] {
		t.Fatalf("verify answer %v", v)
	}
	if got := c.must(200, c.do("GET", acc["href"].(string), nil)); got["status"] != "ENABLED" {
		t.Fatalf("after verify %v", got["status"])
	}
	if r := c.do("POST", fresh, nil); r.Status != 404 {
		t.Fatalf("second use: %d", r.Status)
	}
	c.must(200, c.login("tk421", "Changeme1"))
	for _, secret := range []string{tok, freshTok} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a token reached the log")
		}
	}
}

// With -data DIR the outbox writes each message as an .eml file in
// DIR/outbox, and logs its path.
func TestOutboxFilesWithDataDir(t *testing.T) {
	dir := t.TempDir()
	c, logs := startMail(t, stack.StoreSQLite, dir)
	c.newAccount("tk421")
	c.must(200, c.do("POST", c.app+"/passwordResetTokens", map[string]any{"email": "tk421@galacticempire.co"}))
	files, err := filepath.Glob(filepath.Join(dir, stack.OutboxDir, "*.eml"))
	if err != nil || len(files) != 1 || c.s.OutboxPath != filepath.Join(dir, stack.OutboxDir) {
		t.Fatalf("files %v %v", files, err)
	}
	raw, _ := os.ReadFile(files[0])
	m := tokenIn.FindStringSubmatch(string(raw))
	if m == nil {
		t.Fatalf("no token in %s", raw)
	}
	c.must(200, c.do("GET", c.app+"/passwordResetTokens/"+m[1], nil))
	if !strings.Contains(logs.String(), files[0]) || strings.Contains(logs.String(), m[1]) {
		t.Fatalf("log:\n%s", logs.String())
	}
}
