package authorizer_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/authorizer"
)

func TestParseAuthorizationAccepts(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	raw := base64.RawStdEncoding.EncodeToString
	cases := []struct {
		name, header, id, secret string
	}{
		{"canonical", "Basic " + b64([]byte("KEY:kss_s")), "KEY", "kss_s"},
		{"lower-case scheme", "basic " + b64([]byte("KEY:kss_s")), "KEY", "kss_s"},
		{"upper-case scheme", "BASIC " + b64([]byte("KEY:kss_s")), "KEY", "kss_s"},
		{"missing padding", "Basic " + raw([]byte("KEY:kss_s")), "KEY", "kss_s"},
		{"split at the first colon", "Basic " + b64([]byte("KEY:a:b:")), "KEY", "a:b:"},
		{"UTF-8", "Basic " + b64([]byte("clé:mot de passe")), "clé", "mot de passe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := authorizer.ParseAuthorization(c.header)
			if err != nil || got != (authorizer.Credentials{Scheme: authorizer.SchemeBasic, ID: c.id, Secret: c.secret}) {
				t.Fatalf("%q: %v %#v", c.header, err, got)
			}
		})
	}
}

func TestParseAuthorizationAcceptsBearer(t *testing.T) {
	const jws = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_~+/"
	for name, c := range map[string]struct{ header, token string }{
		"JWS":               {"Bearer " + jws, jws},
		"lower-case scheme": {"bearer " + jws, jws},
		"upper-case scheme": {"BEARER " + jws, jws},
		"padding":           {"Bearer abc==", "abc=="},
		"every character":   {"Bearer AZaz09-._~+/=", "AZaz09-._~+/="},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := authorizer.ParseAuthorization(c.header)
			if err != nil || got != (authorizer.Credentials{Scheme: authorizer.SchemeBearer, Token: c.token}) {
				t.Fatalf("%q: %v %#v", c.header, err, got)
			}
			if s := fmtV(got) + fmtSharpV(got) + fmtPlusV(got); strings.Contains(s, c.token) {
				t.Fatalf("token printed: %s", s)
			}
		})
	}
	if authorizer.BearerHeader(jws) != "Bearer "+jws {
		t.Fatal("BearerHeader")
	}
}

func TestParseAuthorizationRefuses(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	ok := b64("KEY:kss_s")
	cases := map[string]string{
		"no scheme":               ok,
		"bearer with a space":     "Bearer a b",
		"bearer empty":            "Bearer ",
		"bearer only padding":     "Bearer ==",
		"bearer two spaces":       "Bearer  abc",
		"bearer tab":              "Bearer\tabc",
		"bearer trailing space":   "Bearer abc ",
		"bearer leading space":    " Bearer abc",
		"bearer CRLF":             "Bearer ab\r\nc",
		"bearer comma (joined)":   "Bearer abc,Bearer def",
		"bearer padding inside":   "Bearer ab=c",
		"bearer quote":            "Bearer \"abc\"",
		"bearer non-ASCII":        "Bearer ab\xc3\xa9",
		"bearer NUL":              "Bearer ab\x00",
		"bearer oversize":         "Bearer " + strings.Repeat("a", authorizer.MaxHeaderBytes),
		"bearerx":                 "Bearerx abc",
		"two spaces":              "Basic  " + ok,
		"tab":                     "Basic\t" + ok,
		"leading space":           " Basic " + ok,
		"trailing space":          "Basic " + ok + " ",
		"CRLF in base64":          "Basic " + ok[:4] + "\r\n" + ok[4:],
		"LF in base64":            "Basic " + ok[:4] + "\n" + ok[4:],
		"three padding chars":     "Basic " + b64("KEY:kss_s1") + "=",
		"padding on unpadded len": "Basic " + strings.TrimRight(b64("KEY:kss_s1"), "=") + "=",
		"non-canonical bits":      "Basic " + "S0VZOmt=", // "KEY:k" with stray low bits
		"url-safe":                "Basic " + "S0VZOj8_Pz8-",
		"empty id":                "Basic " + b64(":kss_s"),
		"empty secret":            "Basic " + b64("KEY:"),
		"no colon":                "Basic " + b64("KEYkss_s"),
		"non-UTF-8":               "Basic " + b64("KEY:\xc3\x28"),
		"NUL":                     "Basic " + b64("KEY:kss\x00"),
		"DEL":                     "Basic " + b64("KEY:kss\x7f"),
		"newline in password":     "Basic " + b64("KEY:kss\n"),
		"oversize":                "Basic " + strings.Repeat("QUFB", authorizer.MaxHeaderBytes/4),
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			if c, err := authorizer.ParseAuthorization(h); !errors.Is(err, authorizer.ErrMalformedHeader) {
				t.Fatalf("%q: accepted as %v (%v)", h, c, err)
			}
		})
	}
	if _, err := authorizer.ParseAuthorization(""); !errors.Is(err, authorizer.ErrMissingHeader) {
		t.Fatalf("empty: %v", err)
	}
	// Exactly at the limit is still parsed (and then judged on content).
	atLimit := "Basic " + b64("KEY:"+strings.Repeat("s", 3060))
	if len(atLimit) > authorizer.MaxHeaderBytes {
		t.Fatalf("test header is %d bytes", len(atLimit))
	}
	if _, err := authorizer.ParseAuthorization(atLimit); err != nil {
		t.Fatalf("header of %d bytes refused: %v", len(atLimit), err)
	}
}

// FuzzParseAuthorization: the parser never panics, and whatever it accepts
// is canonical: id and secret re-encode to an equivalent header (same
// scheme ignoring case, same base64 ignoring padding) that parses back to
// the same credentials.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"", "Basic", "Basic ", "Basic S0VZOmtzc19z", "basic S0VZOmtzc19z", "Basic S0VZOmtzc19zMQ==",
		"Basic S0VZOmtzc19zMQ", "Basic S0VZOmt=", "Basic  S0VZOmtzc19z", "Basic S0VZ\nOmtzc19z",
		"Bearer eyJhbGciOiJFZERTQSJ9.e30.sig", "bearer abc==", "Bearer a=b", "Bearer  abc", "Bearer abc,def",
		"Bearer eyJhbGciOiJub25lIn0.e30.", "BEARER ~+/-._", "Basic Og==", "Basic OmE=", "Basic YTo=", "Basic w7w6w7w=",
		authorizer.BasicHeader("K7QX2Z", "kss_abc:def"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, err := authorizer.ParseAuthorization(h)
		if err != nil {
			if c != (authorizer.Credentials{}) {
				t.Fatalf("error %v with credentials %#v", err, c)
			}
			return
		}
		scheme, tok, _ := strings.Cut(h, " ")
		if c.Scheme == authorizer.SchemeBearer {
			// A Bearer token is taken verbatim, and only in RFC 6750
			// b64token syntax: no whitespace, no separators, padding only
			// at the end.
			body := strings.TrimRight(c.Token, "=")
			if !strings.EqualFold(scheme, "Bearer") || c.Token != tok || c.ID != "" || c.Secret != "" || body == "" ||
				strings.Trim(body, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") != "" {
				t.Fatalf("accepted %q as %#v", h, c)
			}
			if c2, err := authorizer.ParseAuthorization(authorizer.BearerHeader(c.Token)); err != nil || c2 != c {
				t.Fatalf("re-encoded %q parses as %#v, %v", c.Token, c2, err)
			}
			return
		}
		if c.Scheme != authorizer.SchemeBasic || c.ID == "" || c.Secret == "" || strings.Contains(c.ID, ":") || c.Token != "" {
			t.Fatalf("accepted %q as %#v", h, c)
		}
		again := authorizer.BasicHeader(c.ID, c.Secret)
		_, want, _ := strings.Cut(again, " ")
		if !strings.EqualFold(scheme, "Basic") || strings.TrimRight(tok, "=") != strings.TrimRight(want, "=") {
			t.Fatalf("%q accepted but re-encodes as %q", h, again)
		}
		if c2, err := authorizer.ParseAuthorization(again); err != nil || c2 != c {
			t.Fatalf("re-encoded %q parses as %#v, %v", again, c2, err)
		}
	})
}
