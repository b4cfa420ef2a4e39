package console

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// Mount is the path the console is served under, below the public base
// URL's own path (e.g. /prod/console on an execute-api URL).
const Mount = "/console"

// maxForm bounds a form post: the longest form (sign-up) holds a few
// fields of at most a few hundred characters each.
const maxForm = 16 << 10

// Config wires a Console.
type Config struct {
	Service *domain.Service
	// Tokens runs the password grant (sign in) and the client
	// credentials grant (the test access token).
	Tokens *domain.TokenService
	// Sessions checks the session cookie. Its TTL should be 0: a
	// sign-out, a disabled account or a new password then counts on the
	// very next page.
	Sessions *domain.TokenAuthenticator
	// ApplicationID is the one application this console serves.
	ApplicationID string
	// TryURL is the request of the provider's API that the test token
	// page's curl line calls; "{username}" in it is replaced by the
	// signed-in account's username. Empty: the line names a placeholder.
	TryURL string
	Log    *slog.Logger
}

// Console is the developer console's handler.
type Console struct {
	cfg   Config
	pages *pages
}

// New checks cfg and parses the pages.
func New(cfg Config) (*Console, error) {
	if cfg.Service == nil || cfg.Tokens == nil || cfg.Sessions == nil || cfg.ApplicationID == "" {
		return nil, errors.New("console: Service, Tokens, Sessions and ApplicationID are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Console{cfg: cfg, pages: p}, nil
}

// req is one request as the console sees it.
type req struct {
	w http.ResponseWriter
	r *http.Request
	// base is the public base URL; root the path the console's pages
	// live under (base's path + Mount), which every link starts with.
	base, root string
	// secure is false only for plain http on a loopback host: cookies
	// are then sent without Secure (and without the __Host- prefix,
	// which requires it).
	secure bool
	app    *domain.Application
	rid    string
	// csrf is this browser's form token (csrfToken of its cookie).
	csrf string
	// caller and account are the signed-in session's; caller.Session
	// is empty when signed out.
	caller  domain.Caller
	account *domain.Account
}

// route is one page's handler; an error it returns is shown by fail,
// the one place errors become pages.
type route struct {
	method string
	// pattern segments; "{id}" matches a key id.
	pattern string
	// signedIn routes redirect a signed-out browser to sign in.
	signedIn bool
	serve    func(*Console, *req) error
}

var routes = []route{
	{"GET", "/", false, (*Console).home},
	{"GET", "/signin", false, (*Console).signInPage},
	{"POST", "/signin", false, (*Console).signIn},
	{"POST", "/signout", true, (*Console).signOut},
	{"GET", "/signup", false, (*Console).signUpPage},
	{"POST", "/signup", false, (*Console).signUp},
	{"GET", "/forgot", false, (*Console).forgotPage},
	{"POST", "/forgot", false, (*Console).forgot},
	{"GET", "/reset", false, (*Console).resetPage},
	{"POST", "/reset", false, (*Console).reset},
	{"GET", "/verify", false, (*Console).verifyPage},
	{"POST", "/verify", false, (*Console).verify},
	{"GET", "/keys", true, (*Console).keysPage},
	{"POST", "/keys", true, (*Console).createKey},
	{"GET", "/keys/{id}", true, (*Console).keyPage},
	{"POST", "/keys/{id}/name", true, (*Console).renameKey},
	{"POST", "/keys/{id}/status", true, (*Console).setKeyStatus},
	{"GET", "/keys/{id}/reroll", true, (*Console).rerollPage},
	{"POST", "/keys/{id}/reroll", true, (*Console).rerollKey},
	{"GET", "/keys/{id}/delete", true, (*Console).deletePage},
	{"POST", "/keys/{id}/delete", true, (*Console).deleteKey},
	{"GET", "/token", true, (*Console).tokenPage},
	{"POST", "/token", true, (*Console).testToken},
	{"GET", "/profile", true, (*Console).profilePage},
	{"POST", "/profile", true, (*Console).updateProfile},
	{"POST", "/password", true, (*Console).changePassword},
}

// match finds the route of a path below Mount, and the key id in it.
func match(method, path string) (r route, id string, found, allowed bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range routes {
		pat := strings.Split(strings.Trim(rt.pattern, "/"), "/")
		if len(pat) != len(segs) {
			continue
		}
		ok, got := true, ""
		for i, p := range pat {
			switch {
			case p == "{id}" && validID(segs[i]):
				got = segs[i]
			case p != segs[i]:
				ok = false
			}
		}
		if !ok {
			continue
		}
		found = true
		if rt.method == method {
			return rt, got, true, true
		}
	}
	return route{}, "", found, false
}

// validID accepts what the store's ids look like, so nothing else
// reaches a link or the domain.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

type keyIDKey struct{}

func (q *req) keyID() string { v, _ := q.r.Context().Value(keyIDKey{}).(string); return v }

// ServeHTTP serves every console page and asset.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	path, ok := strings.CutPrefix(r.URL.Path, Mount)
	if !ok || (path != "" && path[0] != '/') {
		http.NotFound(w, r)
		return
	}
	base := strings.TrimRight(httpapi.BaseURL(r), "/")
	u, err := url.Parse(base)
	if base == "" || err != nil {
		// Without a public base URL no link or cookie can be right;
		// a deployment without one is misconfigured.
		c.cfg.Log.Error("console has no public base URL", "requestId", httpapi.RequestID(r))
		http.Error(w, "The console is not configured.", http.StatusInternalServerError)
		return
	}
	q := &req{w: w, r: r, base: base, root: u.Path + Mount, secure: secure(u), rid: httpapi.RequestID(r)}
	if name, ok := strings.CutPrefix(path, "/static/"); ok && r.Method == http.MethodGet {
		serveAsset(w, r, name)
		return
	}
	rt, id, found, allowed := match(r.Method, path)
	if !allowed {
		status := http.StatusNotFound
		if found {
			status = http.StatusMethodNotAllowed
		}
		_ = c.prepare(q) // the error page shows without the application too
		c.failStatus(q, status, "")
		return
	}
	if id != "" {
		q.r = r.WithContext(context.WithValue(r.Context(), keyIDKey{}, id))
	}
	if err := c.prepare(q); err != nil {
		c.fail(q, err)
		return
	}
	if r.Method == http.MethodPost {
		if err := c.readForm(q); err != nil {
			c.fail(q, err)
			return
		}
	}
	if err := c.authenticate(q); err != nil {
		c.fail(q, err)
		return
	}
	if rt.signedIn && q.account == nil {
		q.redirect("/signin")
		return
	}
	if err := rt.serve(c, q); err != nil {
		c.fail(q, err)
	}
}

// secure reports whether cookies must be Secure: everywhere but plain
// http on a loopback host, a developer's own machine.
func secure(u *url.URL) bool {
	if u.Scheme != "http" {
		return true
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "::1":
		return false
	}
	return true
}

// prepare loads the application and this browser's CSRF token.
func (c *Console) prepare(q *req) error {
	q.csrf = c.csrfToken(q)
	app, err := c.cfg.Service.PublicApplication(q.r.Context(), c.cfg.ApplicationID)
	if err != nil {
		return err
	}
	q.app = app
	return nil
}

// public is the caller of the signed-out pages: this application only,
// with mails linking back to this console's pages.
func (c *Console) public(q *req) domain.Caller {
	return domain.Caller{TenantID: q.app.TenantID(), Application: q.app.ID, Via: "console", RequestID: q.rid, LinkBase: q.base,
		Pages: domain.LinkPages{Reset: q.base + Mount + "/reset", Verify: q.base + Mount + "/verify"}}
}

// redirect answers 303 to a console path (which may carry a query of
// fixed words, never data: see notices).
func (q *req) redirect(path string) {
	q.w.Header().Set("Location", q.root+path)
	q.w.WriteHeader(http.StatusSeeOther)
}

// NotConfigured is the console of a deployment that names no
// application: every page says so, with the console's headers.
func NotConfigured(hint string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w.Header())
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "The developer console is not set up: "+hint, http.StatusServiceUnavailable)
	})
}
