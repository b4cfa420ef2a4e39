package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// Cookie names, before the prefix: __Host- wherever cookies are Secure,
// which pins them to this host and path / (no subdomain can plant one),
// nothing on plain-http localhost, where a prefix would need Secure.
const (
	sessionCookie = "ks_session"
	csrfCookie    = "ks_csrf"
	// linkCookie holds a mailed link's token between the landing on the
	// link and the form that uses it, so the token leaves the address
	// bar (and the history) at once. __Secure-, not __Host-: its path
	// is the one page.
	linkCookie = "ks_link"
	// csrfField is every form's hidden field.
	csrfField = "csrf"
	// linkTTL is how long a landed link stays in its cookie: the time to
	// type a new password.
	linkTTL = 15 * time.Minute
)

func (q *req) cookieName(name string) string {
	if q.secure {
		return "__Host-" + name
	}
	return name
}

func (q *req) setCookie(name, value, path string, maxAge int) {
	http.SetCookie(q.w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: q.secure, SameSite: http.SameSiteLaxMode})
}

func (q *req) cookie(name string) string {
	if ck, err := q.r.Cookie(name); err == nil {
		return ck.Value
	}
	return ""
}

// csrfToken is this browser's form token: a digest of its CSRF cookie,
// which is made here on its first page. A page of another origin can
// neither read the cookie nor compute the digest, so it cannot post a
// form that passes checkCSRF (signed double submit, bound to the cookie
// rather than to a session, so the signed-out forms are covered too).
func (c *Console) csrfToken(q *req) string {
	v := q.cookie(q.cookieName(csrfCookie))
	if !wellFormedRandom(v) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return ""
		}
		v = base64.RawURLEncoding.EncodeToString(b)
		q.setCookie(q.cookieName(csrfCookie), v, "/", 0)
	}
	sum := sha256.Sum256([]byte("keystorm console form\x00" + v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// wellFormedRandom accepts 32 random bytes as the CSRF cookie holds them.
func wellFormedRandom(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

// Refusals before a form is read.
var (
	errMedia = domain.E(domain.KindUnsupportedMedia, domain.CodeUnsupportedMedia, "Content-Type", "A form must be sent as application/x-www-form-urlencoded.")
	errForm  = domain.E(domain.KindInvalid, domain.CodeInvalidValue, "", "The form could not be read.")
	// errCSRF is the answer to a post without the page's form token, or
	// from another site: nothing is done.
	errCSRF = domain.E(domain.KindForbidden, domain.CodeForbidden, "", "This form was not sent from this console's own page, or the page is too old. Reload the page and try again.")
)

// readForm parses a posted form and checks its CSRF token before any
// handler sees it.
func (c *Console) readForm(q *req) error {
	mt, _, err := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return errMedia
	}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxForm)
	if err := q.r.ParseForm(); err != nil {
		return errForm
	}
	// Fetch metadata and Origin, where the browser sends them, must say
	// this origin; the token decides either way.
	if site := q.r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCSRF
	}
	if o := q.r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, q.base) {
		return errCSRF
	}
	got := q.r.PostForm.Get(csrfField)
	if got == "" || q.csrf == "" || subtle.ConstantTimeCompare([]byte(got), []byte(q.csrf)) != 1 {
		return errCSRF
	}
	return nil
}

func sameOrigin(origin, base string) bool {
	o, err1 := url.Parse(origin)
	b, err2 := url.Parse(base)
	return err1 == nil && err2 == nil && strings.EqualFold(o.Scheme, b.Scheme) && strings.EqualFold(o.Host, b.Host)
}

// authenticate reads the session cookie: a password grant's access token
// of this application, live (its session not ended, its account enabled
// and its password unchanged since). Anything else is signed out, and
// the cookie is dropped.
func (c *Console) authenticate(q *req) error {
	name := q.cookieName(sessionCookie)
	tok := q.cookie(name)
	if tok == "" {
		return nil
	}
	p, at, err := c.cfg.Sessions.Authenticate(q.r.Context(), tok)
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		q.setCookie(name, "", "/", -1)
		return nil
	case err != nil:
		return err
	case at.RefreshTokenID == "" || at.ApplicationID != q.app.ID || at.Admin:
		// A key's token, or another application's session: not this
		// console's session.
		q.setCookie(name, "", "/", -1)
		return nil
	}
	q.caller = domain.Caller{TenantID: p.TenantID, AccountID: p.AccountID, Session: at.RefreshTokenID, RequestID: q.rid}
	acc, err := c.cfg.Service.GetAccount(q.r.Context(), q.caller, p.AccountID)
	if errors.Is(err, domain.ErrNotFound) {
		q.caller = domain.Caller{}
		q.setCookie(name, "", "/", -1)
		return nil
	}
	if err != nil {
		return err
	}
	q.account = acc
	return nil
}

// startSession signs the browser in with a password grant's tokens. The
// refresh token is not kept: the session lasts as long as its access
// token (the application's accessTokenTtl, an hour by default), then the
// developer signs in again.
func (q *req) startSession(st domain.SessionTokens) {
	q.setCookie(q.cookieName(sessionCookie), st.Signed, "/", st.ExpiresIn)
}

func (q *req) endSession() {
	q.setCookie(q.cookieName(sessionCookie), "", "/", -1)
}

// stashLink moves a mailed link's token from the URL into a cookie of
// that one page, and reloads the page without it.
func (q *req) stashLink(page string) bool {
	raw := q.r.URL.Query().Get("sptoken")
	if raw == "" {
		return false
	}
	name := linkCookie
	if q.secure {
		name = "__Secure-" + linkCookie
	}
	// A token that is not even well formed is still stashed: the page
	// then says the link is not valid, as for any bad token.
	if len(raw) > 128 {
		raw = "x"
	}
	q.setCookie(name, raw, q.root+page, int(linkTTL/time.Second))
	q.redirect(page)
	return true
}

func (q *req) linkToken() string {
	if q.secure {
		return q.cookie("__Secure-" + linkCookie)
	}
	return q.cookie(linkCookie)
}

func (q *req) dropLink(page string) {
	name := linkCookie
	if q.secure {
		name = "__Secure-" + linkCookie
	}
	q.setCookie(name, "", q.root+page, -1)
}

// newOnce is a form's one-time token: the forms that make a secret
// (create, reroll) carry one, so that sending the same form again (a
// reload, a second click) is recognised by the domain's idempotency and
// does nothing twice. A second reroll would otherwise end the first one's
// grace at once.
func newOnce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// once is the session's caller with the form's one-time token as its
// idempotency key; the fingerprint binds it to this account, path and
// the named fields, so a token can never replay another request.
func (q *req) once(fields ...string) domain.Caller {
	c := q.caller
	v := q.form("once")
	if b, err := base64.RawURLEncoding.DecodeString(v); err != nil || len(b) != 16 {
		return c
	}
	h := sha256.New()
	h.Write([]byte(q.account.ID + "\x00" + q.r.Method + " " + q.r.URL.Path))
	for _, f := range fields {
		h.Write([]byte("\x00" + f + "=" + q.form(f)))
	}
	c.IdempotencyKey, c.Fingerprint = "console-"+v, base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	return c
}
