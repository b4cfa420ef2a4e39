package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

type client struct {
	t      testing.TB
	base   string
	id     string
	secret string
	s      *stack.Stack
	app    string // application href
	clock  *fakeClock
	// src is the loopback address requests come from ("" for any): the
	// throttle tells clients apart by source address.
	src string
}

// from returns a client whose requests come from the loopback address ip
// (Linux routes all of 127.0.0.0/8 to lo).
func (c *client) from(ip string) *client {
	cp := *c
	cp.src = ip
	return &cp
}

// httpClient sends from c.src, on fresh connections.
func (c *client) httpClient() *http.Client {
	if c.src == "" {
		return &http.Client{}
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(c.src)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// fakeClock starts now and moves on a millisecond per reading, so
// creation order is never a tie; Advance jumps ahead.
type fakeClock struct{ t atomic.Int64 }

func newClock() *fakeClock {
	c := &fakeClock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.t.Add(int64(time.Millisecond))).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.t.Add(int64(d)) }

func start(t testing.TB) *client { t.Helper(); return startTTL(t, 0) }

// startTTL starts a stack on the local server's default store, SQLite,
// whose authorizer caches for ttl.
func startTTL(t testing.TB, ttl time.Duration) *client {
	t.Helper()
	c := startOn(t, stack.StoreSQLite, ttl)
	if c.s.SQLite == nil {
		t.Fatal("-store sqlite did not start SQLite")
	}
	return c
}

// startDynamo starts a stack on the embedded DynamoDB, for the tests that
// need what only it has: minidyn's fault injection, the call counter.
func startDynamo(t testing.TB, ttl time.Duration) *client {
	t.Helper()
	c := startOn(t, stack.StoreDynamoDB, ttl)
	if c.s.Dynamo == nil || c.s.Embedded == nil {
		t.Fatal("-store dynamodb did not start the embedded DynamoDB")
	}
	return c
}

// startOn starts a stack on store.
func startOn(t testing.TB, store string, ttl time.Duration) *client {
	t.Helper()
	clock := newClock()
	// Listen first: the stack's public URL is the server's own address.
	srv := httptest.NewUnstartedServer(nil)
	s, err := stack.Start(context.Background(), stack.Options{Store: store, Hasher: cheapHasher, Clock: clock, AuthCacheTTL: ttl,
		PublicURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv.Config.Handler = s.Gateway
	srv.Start()
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, id: s.Boot.AdminKey.ID, secret: s.Boot.AdminSecret, s: s, clock: clock,
		app: srv.URL + "/v1/applications/" + s.Boot.Application.ID}
}

// as returns a client using other credentials.
func (c *client) as(id, secret string) *client {
	cp := *c
	cp.id, cp.secret = id, secret
	return &cp
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	return m
}

func (c *client) do(method, url string, body any, hdr ...string) resp {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ctype = bytes.NewBufferString(b), "application/json"
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	if len(url) > 0 && url[0] == '/' {
		url = c.base + url
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if c.id != "" {
		req.SetBasicAuth(c.id, c.secret)
	}
	cl := c.httpClient()
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := cl.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (c *client) must(status int, r resp) map[string]any {
	c.t.Helper()
	if r.Status != status {
		c.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.json(c.t)
}

func href(m map[string]any, link string) string {
	l, _ := m[link].(map[string]any)
	s, _ := l["href"].(string)
	return s
}

// newAccount creates an account and returns its JSON.
func (c *client) newAccount(username string) map[string]any {
	c.t.Helper()
	return c.must(201, c.do("POST", c.app+"/accounts", map[string]any{
		"givenName": "Joe", "surname": "Stormtrooper", "username": username,
		"email": username + "@galacticempire.co", "password": "Changeme1"}))
}

// newKey creates an API key for an account and returns id and secret.
func (c *client) newKey(account map[string]any) (string, string) {
	c.t.Helper()
	k := c.must(201, c.do("POST", href(account, "apiKeys"), nil))
	return k["id"].(string), k["secret"].(string)
}

// eventCount counts the events stored.
func (c *client) eventCount() int {
	c.t.Helper()
	streams, err := c.s.Store.ReadEvents(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	n := 0
	for _, envs := range streams {
		n += len(envs)
	}
	return n
}

// viewCount counts the read-model rows (states, guards, idempotency
// records) of either store. Usage counters are left out: they are
// analytics written in the background (infra/usage), not state.
func (c *client) viewCount() int {
	c.t.Helper()
	if c.s.Dynamo != nil {
		items, err := c.s.Dynamo.ScanViews(context.Background())
		if err != nil {
			c.t.Fatal(err)
		}
		n := 0
		for _, it := range items {
			if pk, ok := it["pk"].(*types.AttributeValueMemberS); !ok || !strings.HasPrefix(pk.Value, "usage#") {
				n++
			}
		}
		return n
	}
	rows, err := c.s.SQLite.Dump(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return len(rows) - c.eventCount()
}

func code(t testing.TB, r resp) int {
	t.Helper()
	m := r.json(t)
	for _, k := range []string{"status", "code", "message", "developerMessage", "moreInfo", "requestId"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("error body lacks %s: %s", k, r.Body)
		}
	}
	if int(m["status"].(float64)) != r.Status {
		t.Fatalf("body status %v != %d", m["status"], r.Status)
	}
	return int(m["code"].(float64))
}
