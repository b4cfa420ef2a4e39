package backend_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/backend"
	"github.com/keystorm/keystorm/infra/stack"
)

// cheapHasher keeps account creation fast: the tests are about keys and
// tokens, not passwords (as in infra/stack's tests).
var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

// epoch is the fixed date every test starts at: the outcome never depends
// on the day the tests run.
var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// manualClock stands still until Advance moves it. The stack and the
// middleware share one, so a TTL runs out for both at the same instant.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a real Keystorm stack served over HTTP in-process.
type env struct {
	t     *testing.T
	s     *stack.Stack
	srv   *httptest.Server
	base  string
	clock *manualClock
	admin [2]string // admin key id and secret
	appID string
}

// startStack starts a stack whose authorizer (and so the authenticate
// endpoint's cacheTtlSeconds) caches for ttl. dataDir "" keeps everything
// in memory.
func startStack(t *testing.T, ttl time.Duration, dataDir string) *env {
	t.Helper()
	clock := &manualClock{now: epoch}
	// Listen first: the stack's public URL is the server's own address.
	srv := httptest.NewUnstartedServer(nil)
	s, err := stack.Start(context.Background(), stack.Options{Hasher: cheapHasher, Clock: clock, AuthCacheTTL: ttl,
		DataDir: dataDir, PublicURL: "http://" + srv.Listener.Addr().String(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv.Config.Handler = s.Gateway
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{t: t, s: s, srv: srv, base: srv.URL, clock: clock,
		admin: [2]string{s.Boot.AdminKey.ID, s.Boot.AdminSecret}, appID: s.Boot.Application.ID}
}

// manage sends a management call with the admin key and returns the
// decoded answer, failing the test on another status than want.
func (e *env) manage(method, path string, body any, want int) map[string]any {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	if strings.HasPrefix(path, "/") {
		path = e.base + path
	}
	req, err := http.NewRequest(method, path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(e.admin[0], e.admin[1])
	return e.send(req, want)
}

func (e *env) send(req *http.Request, want int) map[string]any {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", req.Method, req.URL.Path, res.StatusCode, want, b)
	}
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			e.t.Fatalf("%s: %v", b, err)
		}
	}
	return m
}

// dev is a developer's account and API key.
type dev struct {
	e                  *env
	accountHref, keyID string
	secret             string
}

// developer creates an account with a key in the application appID.
func (e *env) developer(appID, username string) dev {
	e.t.Helper()
	acc := e.manage("POST", "/v1/applications/"+appID+"/accounts", map[string]any{
		"givenName": "Joe", "surname": "Stormtrooper", "username": username,
		"email": username + "@galacticempire.co", "password": "Changeme1"}, 201)
	href := acc["href"].(string)
	k := e.manage("POST", href+"/apiKeys", nil, 201)
	return dev{e: e, accountHref: href, keyID: k["id"].(string), secret: k["secret"].(string)}
}

func (d dev) basic() string { return basicHeader(d.keyID, d.secret) }

// token swaps the key for an access token (client credentials).
func (d dev) token(scope string) string {
	d.e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scope != "" {
		form.Set("scope", scope)
	}
	req, _ := http.NewRequest("POST", d.e.base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(d.keyID, d.secret)
	m := d.e.send(req, 200)
	if m["scope"] != scope {
		d.e.t.Fatalf("token granted scope %q, want %q", m["scope"], scope)
	}
	return m["access_token"].(string)
}

// setStatus enables or disables the key.
func (d dev) setStatus(status string) {
	d.e.t.Helper()
	d.e.manage("POST", "/v1/apiKeys/"+d.keyID, map[string]any{"status": status}, 200)
}

// grant puts the account in a group named scope, which lets its tokens
// carry that scope.
func (d dev) grant(appID, scope string) {
	d.e.t.Helper()
	g := d.e.manage("POST", "/v1/applications/"+appID+"/groups", map[string]any{"name": scope}, 201)
	d.e.manage("POST", "/v1/groupMemberships", map[string]any{
		"account": map[string]any{"href": d.accountHref}, "group": map[string]any{"href": g["href"]}}, 201)
}

// newApplication creates another application of the tenant.
func (e *env) newApplication(name string) string {
	e.t.Helper()
	a := e.manage("POST", "/v1/applications", map[string]any{"name": name}, 201)
	href := a["href"].(string)
	return href[strings.LastIndex(href, "/")+1:]
}

// counter is the middleware's HTTP transport: it counts what reaches
// Keystorm (calls of the authenticate endpoint, fetches of the JWKS) and
// keeps the bodies sent to the endpoint, then sends every request on.
type counter struct {
	mu     sync.Mutex
	auth   int
	jwks   int
	bodies []map[string]any
	admin  []string // the Basic user of each endpoint call
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/authenticate"):
		c.auth++
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		c.bodies = append(c.bodies, m)
		user, _, _ := r.BasicAuth()
		c.admin = append(c.admin, user)
	case strings.HasSuffix(r.URL.Path, "/.well-known/jwks.json"):
		c.jwks++
	}
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counter) calls() (auth, jwks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.auth, c.jwks
}

func (c *counter) lastBody() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.bodies) == 0 {
		return nil
	}
	return c.bodies[len(c.bodies)-1]
}

// logBuffer collects the middleware's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// mw is a Backend wired to the stack, with its transport and log.
type mw struct {
	*backend.Backend
	n   *counter
	log *logBuffer
}

// backend returns a Backend for the stack's first application; edit
// changes the Config before New.
func (e *env) backend(edit func(*backend.Config)) mw {
	e.t.Helper()
	n, log := &counter{}, &logBuffer{}
	cfg := backend.Config{
		ManagementURL: e.base,
		AdminKeyID:    e.admin[0], AdminKeySecret: e.admin[1],
		ApplicationID: e.appID,
		Issuer:        stack.TokenIssuer, AudiencePrefix: stack.TokenAudience,
		HTTPClient: &http.Client{Transport: n},
		Clock:      e.clock,
		Logger:     slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	b, err := backend.New(cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return mw{Backend: b, n: n, log: log}
}

// echo is the protected handler: it answers with the identity the
// middleware put in the context, or 500 when there is none (the
// middleware let a request through without one).
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := backend.FromContext(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(id)
})

// answer is what a request through a middleware got.
type answer struct {
	status int
	header http.Header
	id     backend.Identity // when it passed
	body   errorBody        // when it did not
	raw    string
}

// errorBody decodes Keystorm's error body independently of
// httpapi.ErrorBody, so a change of its field names fails the tests.
type errorBody struct {
	Status           int    `json:"status"`
	Code             int    `json:"code"`
	Message          string `json:"message"`
	DeveloperMessage string `json:"developerMessage"`
	MoreInfo         string `json:"moreInfo"`
	RequestID        string `json:"requestId"`
}

// serve sends one request with the given Authorization values (none, one
// or several) through h, from 192.0.2.1 (httptest's RemoteAddr).
func serve(t *testing.T, h http.Handler, authorization ...string) answer {
	t.Helper()
	req := httptest.NewRequest("GET", "/troopers/tk421/equipment", nil)
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	var err error
	if rec.Code == 200 {
		err = json.Unmarshal(rec.Body.Bytes(), &a.id)
	} else {
		err = json.Unmarshal(rec.Body.Bytes(), &a.body)
	}
	if err != nil {
		t.Fatalf("%d %q: %v", rec.Code, rec.Body, err)
	}
	return a
}

// refused checks a refusal: its status, Keystorm's error body with code,
// and no-store.
func (a answer) refused(t *testing.T, status, code int) {
	t.Helper()
	if a.status != status || a.body.Status != status || a.body.Code != code || a.body.Message == "" ||
		a.body.RequestID == "" || !strings.HasSuffix(a.body.MoreInfo, "#error-"+itoa(code)) ||
		a.header.Get("Content-Type") != "application/json" || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("want %d/%d, got %d %v %s", status, code, a.status, a.header, a.raw)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// basicHeader is what `curl --user id:secret` sends.
func basicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// challenges returns the WWW-Authenticate values, joined.
func (a answer) challenges() string { return strings.Join(a.header.Values("WWW-Authenticate"), " | ") }
