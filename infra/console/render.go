package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// securityHeaders go on every answer, pages, assets and errors alike.
func securityHeaders(h http.Header) {
	// No inline script or style anywhere: the one script and the one
	// stylesheet are files of this origin. Forms post only here; no
	// page may frame the console (clickjacking on its buttons).
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"connect-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	// A page's URL (a key's id, the landing of a mailed link) goes to
	// no other site.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// asset is an embedded file with its content hash, which versions its
// URL so it can be cached for long.
type asset struct {
	body []byte
	hash string
	typ  string
}

var assets = func() map[string]asset {
	out := map[string]asset{}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path.Base(p)] = asset{body: b, hash: hex.EncodeToString(sum[:6]), typ: mime.TypeByExtension(path.Ext(p))}
		return nil
	})
	return out
}()

func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.typ)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(a.body)
}

// assetURL is an asset's versioned URL under root.
func assetURL(root, name string) string {
	return root + "/static/" + name + "?v=" + assets[name].hash
}

// view is what every page template gets.
type view struct {
	Title     string
	Root      string
	CSS, JS   string
	CSRF      string
	AppName   string
	Account   *domain.Account
	Nav       string
	Notice    string
	Error     string
	RequestID string
	// Open is false when the application is disabled.
	Open bool
	// SignUpOpen is set when the application takes sign-ups.
	SignUpOpen bool
	// PasswordRules describes the password policy, beside every new
	// password field.
	PasswordRules string
	Data          any
}

type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	// when is a time in a table whose column header says UTC.
	"when":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") },
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"lower": strings.ToLower,
	// row hands a key's row to the actions part with the page's view.
	"row": func(v view, r keyRow) rowView { return rowView{V: v, R: r} },
	// keyrow is the same on the key's own page, whose buttons come back
	// to it.
	"keyrow": func(v view, r keyRow) rowView { return rowView{V: v, R: r, FromKey: true} },
}

type rowView struct {
	V       view
	R       keyRow
	FromKey bool
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || base == "parts.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n)
		if err != nil {
			return nil, err
		}
		p.byName[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// render writes a page. Pages are never cached: they may show a secret
// once, or an account's data.
func (c *Console) render(q *req, status int, name string, v view) {
	t := c.pages.byName[name]
	v.Root, v.CSS, v.JS, v.CSRF, v.Account, v.RequestID = q.root, assetURL(q.root, "console.css"), assetURL(q.root, "console.js"), q.csrf, q.account, q.rid
	if q.app != nil {
		v.AppName, v.Open = q.app.Name, q.app.Usable()
		v.SignUpOpen = v.Open && q.app.SelfRegistrationOn
	}
	v.PasswordRules = rules(c.cfg.Service.Policy)
	if v.Notice == "" {
		v.Notice = notices[q.r.URL.Query().Get("done")]
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.cfg.Log.Error("console page failed to render", "page", name, "requestId", q.rid, "err", err)
		http.Error(q.w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	q.w.WriteHeader(status)
	_, _ = q.w.Write(buf.Bytes())
}

// notices are the messages a redirect may ask for with ?done=: fixed
// words, so nothing a request carries is ever shown back from a URL.
var notices = map[string]string{
	"signedout": "You are signed out.",
	"welcome":   "Your account is ready. Create your first API key below.",
	"disabled":  "The key is disabled: it no longer authenticates.",
	"enabled":   "The key is enabled again.",
	"renamed":   "The key was renamed.",
	"deleted":   "The key was deleted.",
	"profile":   "Your profile was saved.",
	"password":  "Your password was changed. Every other session of your account was signed out.",
	"reset":     "Your password was set. Sign in with it.",
	"verified":  "Your email address is verified. Sign in.",
}

// problem is what a page says about an error, and with which status:
// httpapi.Describe decides both, as for the API, so an error reads the
// same on a page as in a JSON answer, and an internal cause never shows.
func (c *Console) problem(q *req, err error) (int, string) {
	var oe *domain.OAuthError
	if errors.As(err, &oe) {
		// The grants' refusals are written for clients; a person gets
		// the same facts in words.
		if oe.RetryAfter > 0 {
			q.w.Header().Set("Retry-After", strconv.Itoa(int((oe.RetryAfter+time.Second-1)/time.Second)))
			return http.StatusTooManyRequests, "Too many failed attempts from your address. Wait a little and try again."
		}
		if oe.Err != nil {
			err = oe.Err
		} else {
			return http.StatusBadRequest, oe.Description
		}
	}
	body := httpapi.Describe(err, q.rid)
	if body.Status >= 500 {
		c.cfg.Log.Error("console request failed", "requestId", q.rid, "method", q.r.Method, "path", logPath(q.r.URL.Path), "status", body.Status, "err", err)
	}
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		q.w.Header().Set("Retry-After", strconv.Itoa(int((de.RetryAfter+time.Second-1)/time.Second)))
	}
	return body.Status, body.Message
}

// logPath is a console path as logs may show it (the key id is no
// secret; mailed tokens never reach a path, only a query).
func logPath(p string) string { return httpapi.LogPath(p) }

// fail shows an error page.
func (c *Console) fail(q *req, err error) {
	status, msg := c.problem(q, err)
	if status == http.StatusNotFound {
		msg = "There is nothing here, or it is not yours."
	}
	c.failStatus(q, status, msg)
}

func (c *Console) failStatus(q *req, status int, msg string) {
	if msg == "" {
		switch status {
		case http.StatusNotFound:
			msg = "There is nothing here, or it is not yours."
		case http.StatusMethodNotAllowed:
			msg = "This page does not take that kind of request."
		default:
			msg = http.StatusText(status)
		}
	}
	c.render(q, status, "error", view{Title: http.StatusText(status), Error: msg})
}

// formError shows a form again with what was wrong; the status is the
// error's. Values typed are shown back, passwords never.
func (c *Console) formError(q *req, name string, v view, err error) error {
	status, msg := c.problem(q, err)
	if status >= 500 {
		c.failStatus(q, status, msg)
		return nil
	}
	v.Error = msg
	c.render(q, status, name, v)
	return nil
}

// rules says the password policy in words.
func rules(p domain.PasswordPolicy) string {
	var need []string
	if p.RequireLower {
		need = append(need, "a lower-case letter")
	}
	if p.RequireUpper {
		need = append(need, "an upper-case letter")
	}
	if p.RequireDigit {
		need = append(need, "a digit")
	}
	if p.RequireNonAlnum {
		need = append(need, "a character that is neither letter nor digit")
	}
	s := "At least " + strconv.Itoa(p.MinLength) + " characters"
	switch len(need) {
	case 0:
	case 1:
		s += ", with " + need[0]
	default:
		s += ", with " + strings.Join(need[:len(need)-1], ", ") + " and " + need[len(need)-1]
	}
	return s + "."
}
