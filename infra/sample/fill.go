package sample

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// vocabularyRE matches the sample ids and secrets as whole words, so that
// "acc_sample" is not found inside "acc_dev_sample".
var vocabularyRE = regexp.MustCompile(`\b(?:acc_dev|ak_dev|tnt|app|acc|ak)_sample\b|\bkss_sample_(?:admin|developer)_secret\b`)

// jwtRE matches a compact JWS whose header starts with {" (base64url
// "eyJ"): in a header value, behind "Bearer ", or in a form body.
var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)

// Fill returns event with the sample vocabulary replaced by the world's
// real ids, credentials and tokens (see the package doc). The result is
// the same JSON document otherwise, keys sorted.
func (w *World) Fill(ctx context.Context, event []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(event))
	dec.UseNumber() // epoch milliseconds and latencies stay as written
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("sample: event: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("sample: event: trailing data after the JSON document")
	}
	m, _ := doc.(map[string]any)
	bodyBefore, _ := m["body"].(string)
	f := &filler{w: w, ctx: ctx, tokens: map[string]string{}, base: baseURL(m)}
	doc = f.value(doc)
	if f.err != nil {
		return nil, f.err
	}
	if m != nil {
		w.fixAuthorizerContext(m)
		fixContentLength(m, bodyBefore)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // form bodies keep their & as written
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// filler walks one event. tokens maps each sample token to the fresh one
// that replaces it throughout the event.
type filler struct {
	w      *World
	ctx    context.Context
	tokens map[string]string
	// base prefixes the subject of a token whose sample names none: the
	// API the event came through, as the OAuth function would derive it.
	base string
	err  error
}

func (f *filler) value(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = f.value(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = f.value(x)
		}
		return v
	case string:
		return f.str(v)
	}
	return v
}

func (f *filler) str(s string) string {
	if scheme, cred, ok := strings.Cut(s, " "); ok && strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if real := f.w.vocabulary(string(raw)); real != string(raw) {
				return scheme + " " + base64.StdEncoding.EncodeToString([]byte(real))
			}
		}
		return s
	}
	s = f.w.vocabulary(s)
	return jwtRE.ReplaceAllStringFunc(s, f.token)
}

// vocabulary replaces the sample ids and secrets in s.
func (w *World) vocabulary(s string) string {
	return vocabularyRE.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := w.ids[m]; ok {
			return v
		}
		if v, ok := w.secrets[m]; ok {
			return v
		}
		return m
	})
}

// sampleClaims are the claims of a sample token that decide the fresh
// one: whose key, which scope, and the base of its subject.
type sampleClaims struct {
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Subject  string `json:"sub"`
}

// token returns the fresh token for a sample token, or jwt itself when it
// is not a sample (not a JWS, or signed by a key of the world).
func (f *filler) token(jwt string) string {
	if f.err != nil {
		return jwt
	}
	if t, ok := f.tokens[jwt]; ok {
		return t
	}
	parts := strings.Split(jwt, ".")
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims sampleClaims
	if len(parts) != 3 || decodeSegment(parts[0], &header) != nil || header.Alg == "" || decodeSegment(parts[1], &claims) != nil {
		return jwt
	}
	ring, err := f.w.keys.Load(f.ctx)
	if err != nil {
		f.err = fmt.Errorf("sample: signing keys: %w", err)
		return jwt
	}
	if _, ours := ring.Key(header.Kid); ours {
		return jwt
	}
	key, ok := f.w.keyOfSampleKey[claims.ClientID]
	if !ok {
		key = f.w.DeveloperKey // a placeholder that names no client
	}
	base, _, _ := strings.Cut(claims.Subject, "/v1/accounts/")
	if !strings.HasPrefix(base, "https://") && !strings.HasPrefix(base, "http://") {
		base = f.base
	}
	iss, err := f.w.tokens.Issue(f.ctx, domain.TokenRequest{KeyID: key.Key.ID, Secret: key.Secret, Scope: claims.Scope, BaseURL: base})
	if err != nil {
		f.err = fmt.Errorf("sample: issue a token for %s: %w", key.Key.ID, err)
		return jwt
	}
	f.tokens[jwt] = iss.Signed
	return iss.Signed
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// baseURL is the API base of a proxy event (https://DOMAIN/STAGE), or ""
// for events that do not say.
func baseURL(ev map[string]any) string {
	rc, _ := ev["requestContext"].(map[string]any)
	host, _ := rc["domainName"].(string)
	if host == "" {
		return ""
	}
	base := "https://" + host
	if stage, _ := rc["stage"].(string); stage != "" && stage != "$default" {
		base += "/" + stage
	}
	return base
}

// fixAuthorizerContext makes a proxy event's authorizer context name the
// application of the account it names: the samples say "app_sample" for
// every caller, but the admin's key belongs to the administrators'
// application.
func (w *World) fixAuthorizerContext(ev map[string]any) {
	rc, _ := ev["requestContext"].(map[string]any)
	a, _ := rc["authorizer"].(map[string]any)
	if a == nil {
		return
	}
	if a["accountId"] == w.Boot.Admin.ID {
		a["applicationId"] = w.Boot.AdminApp.ID
	}
}

// fixContentLength keeps a Content-Length header true to a body whose
// length changed (a token of another length in a form body).
func fixContentLength(ev map[string]any, before string) {
	body, ok := ev["body"].(string)
	if !ok || len(body) == len(before) {
		return
	}
	n := strconv.Itoa(len(body))
	if h, ok := ev["headers"].(map[string]any); ok {
		for k := range h {
			if strings.EqualFold(k, "Content-Length") {
				h[k] = n
			}
		}
	}
	if h, ok := ev["multiValueHeaders"].(map[string]any); ok {
		for k := range h {
			if strings.EqualFold(k, "Content-Length") {
				h[k] = []any{n}
			}
		}
	}
}
