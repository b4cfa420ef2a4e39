package console_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

var cheapHasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}

// site is a local stack serving the console at URL, with its admin.
type site struct {
	t     testing.TB
	URL   string
	s     *stack.Stack
	admin domain.Caller
	app   string
}

// startSite starts the local stack on SQLite behind a real HTTP server,
// with the authorizer's cache off so a disabled key is refused at once.
func startSite(t testing.TB, public string) *site {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if public == "" {
		public = "http://" + srv.Listener.Addr().String()
	}
	s, err := stack.Start(context.Background(), stack.Options{Store: stack.StoreSQLite, Hasher: cheapHasher, PublicURL: public,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv.Config.Handler = s.Gateway
	srv.Start()
	t.Cleanup(srv.Close)
	b := s.Boot
	return &site{t: t, URL: srv.URL, s: s, app: b.Application.ID,
		admin: domain.Caller{TenantID: b.Tenant.ID, AccountID: b.Admin.ID, KeyID: b.AdminKey.ID, Admin: true}}
}

func (st *site) policy(in domain.AccountCreationPolicyInput) {
	st.t.Helper()
	if _, err := st.s.Service.SetAccountCreationPolicy(context.Background(), st.admin, st.app, in); err != nil {
		st.t.Fatal(err)
	}
}

func on() *string { v := "ENABLED"; return &v }

// account makes an enabled account through the admin API's domain call.
func (st *site) account(username, password string) *domain.Account {
	st.t.Helper()
	email := username + "@example.com"
	acc, err := st.s.Service.CreateAccount(context.Background(), st.admin, st.app, domain.AccountInput{Username: &username, Email: &email,
		GivenName: &username, Surname: &username, Password: &password})
	if err != nil {
		st.t.Fatal(err)
	}
	return acc
}

// key makes a key for an account as the admin would.
func (st *site) key(accountID string) domain.CreatedAPIKey {
	st.t.Helper()
	k, err := st.s.Service.CreateAPIKey(context.Background(), st.admin, accountID, domain.APIKeyInput{})
	if err != nil {
		st.t.Fatal(err)
	}
	return k
}

func (st *site) getKey(id string) *domain.APIKey {
	st.t.Helper()
	k, err := st.s.Service.GetAPIKey(context.Background(), st.admin, id)
	if err != nil {
		st.t.Fatal(err)
	}
	return k
}

// equipment calls the example API with Basic credentials and returns the
// status.
func (st *site) equipment(user, id, secret string) int {
	st.t.Helper()
	req, _ := http.NewRequest("GET", st.URL+"/troopers/"+user+"/equipment", nil)
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// browser is an HTTP client with cookies that does not follow
// redirects, and remembers the last page's form token.
type browser struct {
	t    testing.TB
	site *site
	c    *http.Client
	csrf string
}

func (st *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: st.t, site: st, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.site.URL+path, nil)
	return b.do(req)
}

// post sends a form with the last page's CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.site.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) signIn(login, password string) {
	b.t.Helper()
	b.get("/console/signin")
	p := b.post("/console/signin", url.Values{"login": {login}, "password": {password}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/keys" {
		b.t.Fatalf("sign in: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.site.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func want(t testing.TB, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d\n%s", p.status, status, p.body)
	}
	text := html.UnescapeString(p.body)
	for _, s := range texts {
		if !strings.Contains(text, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

func wantRedirect(t testing.TB, p page, to string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != to {
		t.Fatalf("got %d to %q, want 303 to %q\n%s", p.status, p.header.Get("Location"), to, p.body)
	}
}

var secretRE = regexp.MustCompile(`id="secret" type="text" readonly value="(kss_[^"]+)"`)
var keyIDRE = regexp.MustCompile(`<code id="key-id">([^<]+)</code>`)

// created reads the key id and secret from the page that shows them.
func created(t testing.TB, p page) (id, secret string) {
	t.Helper()
	s, k := secretRE.FindStringSubmatch(p.body), keyIDRE.FindStringSubmatch(p.body)
	if s == nil || k == nil {
		t.Fatalf("no key id and secret on the page:\n%s", p.body)
	}
	return k[1], s[1]
}

func (st *site) mails() []string {
	var out []string
	for _, m := range st.s.Outbox.Messages() {
		out = append(out, string(m))
	}
	return out
}

// link finds the console link of the last mail to address.
func (st *site) link(address, page string) string {
	st.t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(st.URL+"/console/"+page) + `\?sptoken=[A-Za-z0-9_-]+`)
	mails := st.mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if strings.Contains(mails[i], "To: "+address) || strings.Contains(mails[i], "<"+address+">") {
			if m := re.FindString(strings.ReplaceAll(mails[i], "=\r\n", "")); m != "" {
				return strings.TrimPrefix(m, st.URL)
			}
		}
	}
	st.t.Fatalf("no %s link mailed to %s in %d mails:\n%s", page, address, len(mails), strings.Join(mails, "\n---\n"))
	return ""
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// clientToken is a client credentials access token of a key.
func (st *site) clientToken(id, secret string) string {
	st.t.Helper()
	req, _ := http.NewRequest("POST", st.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		st.t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return out.AccessToken
}
