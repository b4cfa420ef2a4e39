package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

const formType = "application/x-www-form-urlencoded"

// FuzzParseForm: the form parser never panics, refuses only with an
// invalid_request OAuth error, and what it accepts is exactly what
// url.ParseQuery reads, each parameter once and non-empty.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials", "grant_type=client_credentials&scope=a+b%20c",
		"grant_type=a&grant_type=b", "token=", "a=%zz", "=x", "&&&", "a;b=c", "scope=%22%5C",
		strings.Repeat("a", MaxBody+1), "\xff=\xfe", "",
	} {
		f.Add(formType, []byte(s))
	}
	f.Add("application/json", []byte(`{"grant_type":"client_credentials"}`))
	f.Add(formType+"; charset=ISO-8859-1", []byte("a=b"))
	f.Add("multipart/form-data; boundary=x", []byte("a=b"))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		vals, err := ParseForm(ctype, bytes.NewReader(body))
		if err != nil {
			var oe *domain.OAuthError
			if !errors.As(err, &oe) || oe.Code != domain.OAuthInvalidRequest || oe.Description == "" {
				t.Fatalf("error %#v is not an invalid_request", err)
			}
			return
		}
		if len(body) > MaxBody {
			t.Fatalf("accepted %d bytes", len(body))
		}
		want, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("accepted what ParseQuery refuses: %v", err)
		}
		for k, vs := range vals {
			if len(vs) != 1 || vs[0] == "" {
				t.Fatalf("%q: %q", k, vs)
			}
			if w := want[k]; len(w) != 1 || w[0] != vs[0] {
				t.Fatalf("%q: got %q, ParseQuery %q", k, vs, w)
			}
		}
		for k, w := range want {
			if len(w) > 1 {
				t.Fatalf("accepted repeated %q", k)
			}
			if w[0] != "" && !vals.Has(k) {
				t.Fatalf("dropped %q", k)
			}
		}
	})
}

func TestISODuration(t *testing.T) {
	good := map[string]time.Duration{
		"PT1H": time.Hour, "PT30M": 30 * time.Minute, "PT45S": 45 * time.Second, "PT1H30M": 90 * time.Minute,
		"P1D": 24 * time.Hour, "P1DT1H": 25 * time.Hour, "P1W": 7 * 24 * time.Hour, "PT3600S": time.Hour,
		"pt2h": 2 * time.Hour, "PT0S": 0, "PT1H0M5S": time.Hour + 5*time.Second,
	}
	for s, want := range good {
		if got, err := ParseISODuration(s); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "P", "PT", "1H", "PT1.5H", "PT-1H", "P1Y", "P1M", "PT1M1H", "PT1H1H", "P1H", "PTH", "PT1", "P1DT",
		"PT1H ", " PT1H", "PT9999999999S", "PT1X", "P1D1W", "P999999999W", "P999999999W999999999D", "P999999999DT999999999H"} {
		if d, err := ParseISODuration(s); err == nil {
			t.Errorf("%q parsed as %v", s, d)
		}
	}
	for d, want := range map[time.Duration]string{time.Hour: "PT1H", 90 * time.Minute: "PT1H30M", 24 * time.Hour: "P1D", 60 * 24 * time.Hour: "P60D", 26 * time.Hour: "P1DT2H",
		time.Minute: "PT1M", 3661 * time.Second: "PT1H1M1S", 0: "PT0S"} {
		if got := FormatISODuration(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
		if back, err := ParseISODuration(want); err != nil || back != d {
			t.Errorf("%s does not round-trip: %v %v", want, back, err)
		}
	}
}

func TestWriteOAuthError(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{&domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "x", RetryAfter: 1500 * time.Millisecond}, 429, "invalid_client"},
		{&domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "x"}, 401, "invalid_client"},
		{&domain.OAuthError{Code: domain.OAuthInvalidScope, Description: "x"}, 400, "invalid_scope"},
		{&domain.OAuthError{Code: domain.OAuthUnauthorizedClient, Description: "x"}, 400, "unauthorized_client"},
		{domain.ErrUnauthenticated, 401, "invalid_client"},
		{domain.ErrForbidden, 403, "unauthorized_client"},
		{domain.ErrUnavailable, 503, "temporarily_unavailable"},
		{fmt.Errorf("boom: %w", errors.New("secret detail")), 500, "server_error"},
		{errMethod, 405, "invalid_request"},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		writeOAuthError(w, httptest.NewRequest("POST", "/oauth/token", nil), c.err)
		body := w.Body.String()
		if w.Code != c.status || !strings.Contains(body, `"error":"`+c.code+`"`) || strings.Contains(body, "secret detail") {
			t.Errorf("%v: %d %s", c.err, w.Code, body)
		}
		h := w.Header()
		if h.Get("Cache-Control") != "no-store" || h.Get("Pragma") != "no-cache" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%v: headers %v", c.err, h)
		}
		if (c.status == 401) != (h.Get("WWW-Authenticate") == `Basic realm="keystorm"`) {
			t.Errorf("%v: WWW-Authenticate %q", c.err, h.Get("WWW-Authenticate"))
		}
	}
	w := httptest.NewRecorder()
	writeOAuthError(w, httptest.NewRequest("POST", "/oauth/token", nil), cases[0].err)
	if w.Header().Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2 (rounded up)", w.Header().Get("Retry-After"))
	}
}

func TestClientCredentials(t *testing.T) {
	r := httptest.NewRequest("POST", "/oauth/token", nil)
	// RFC 6749 §2.3.1: both parts are form-encoded before base64.
	r.SetBasicAuth(url.QueryEscape("id:1"), url.QueryEscape("s+e%t"))
	id, secret, ok, err := clientCredentials(r)
	if err != nil || !ok || id != "id:1" || secret != "s+e%t" {
		t.Fatalf("%q %q %v %v", id, secret, ok, err)
	}
	r.Header.Set("Authorization", "Bearer abc")
	if _, _, ok, err := clientCredentials(r); ok || err != nil {
		t.Fatalf("bearer: %v %v", ok, err)
	}
	for _, h := range []string{"Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic JXp6OmE="} { // bad base64, no colon, bad escape
		r.Header.Set("Authorization", h)
		if _, _, ok, err := clientCredentials(r); !ok || err == nil {
			t.Errorf("%s: %v %v", h, ok, err)
		}
	}
}

// The oauth family without a token service is a wiring bug: a 500, not a
// panic.
func TestOAuthNotConfigured(t *testing.T) {
	h := (&API{}).Handler(OAuthFamily)
	for _, p := range []string{"/oauth/token", "/.well-known/jwks.json"} {
		method := http.MethodPost
		if strings.HasSuffix(p, ".json") {
			method = http.MethodGet
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, p, strings.NewReader("grant_type=client_credentials")))
		if w.Code != 500 || !strings.Contains(w.Body.String(), "server_error") {
			t.Errorf("%s: %d %s", p, w.Code, w.Body)
		}
	}
}
