package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// MaxBody bounds request bodies, except on the routes that may carry
// customData (see MaxCustomDataBody): no other input comes near it.
const MaxBody = 32 << 10

// MaxCustomDataBody bounds the bodies of the routes that may carry
// customData: POST …/customData, and create and update of applications,
// accounts and groups, which take it inline. customData may hold
// domain.MaxCustomDataBytes (64 KiB) as stored; a client may send the
// same data with whitespace, or with \u escapes the store keeps as
// shorter UTF-8, plus the resource's other properties. Twice the cap
// leaves room for all that, while a body that could never be stored is
// still refused before it is parsed.
const MaxCustomDataBody = 2 * domain.MaxCustomDataBytes

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

type ridKey struct{}

// requestID is API Gateway's request id when there is one, so logs and
// error bodies match API Gateway's access logs.
func requestID(r *http.Request) string {
	if v, ok := r.Context().Value(ridKey{}).(string); ok {
		return v
	}
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && gw.RequestID != "" {
		return gw.RequestID
	}
	return ""
}

func withRequestID(r *http.Request) *http.Request {
	if requestID(r) != "" {
		return r
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return r.WithContext(context.WithValue(r.Context(), ridKey{}, hex.EncodeToString(b)))
}

// identity reads the authorizer context. Without one (a function invoked
// around its authorizer) the request is refused.
func identity(r *http.Request) (authctx.Identity, error) {
	gw, ok := core.GetAPIGatewayContextFromContext(r.Context())
	if !ok {
		return authctx.Identity{}, domain.ErrUnauthenticated
	}
	id, err := authctx.FromMap(gw.Authorizer)
	if err != nil {
		return authctx.Identity{}, domain.ErrUnauthenticated
	}
	return id, nil
}

// caller builds the domain caller for a management request. Admin keys
// and tokens manage the tenant; a password grant's token acts for its
// account alone (the domain answers 404 beyond it); a developer's key or
// client credentials token is refused here (and again in the domain).
func caller(r *http.Request) (domain.Caller, error) {
	id, err := identity(r)
	if err != nil {
		return domain.Caller{}, err
	}
	var c domain.Caller
	switch {
	case id.RefreshTokenID != "":
		c = domain.Caller{TenantID: id.TenantID, AccountID: id.AccountID, Session: id.RefreshTokenID, RequestID: requestID(r)}
	case id.Admin:
		c = domain.Caller{TenantID: id.TenantID, AccountID: id.AccountID, KeyID: id.APIKeyID, Admin: true, RequestID: requestID(r)}
	default:
		return domain.Caller{}, domain.ErrForbidden
	}
	return c, nil
}

// idempotency reads the Idempotency-Key header of a POST into c, with
// the fingerprint of the request it was sent with.
func idempotency(r *http.Request, body []byte, c *domain.Caller) error {
	if k := r.Header.Get("Idempotency-Key"); k != "" && r.Method == http.MethodPost {
		if len(k) > maxIdempotencyKey {
			return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "Idempotency-Key", "The Idempotency-Key header must be at most %d characters.", maxIdempotencyKey)
		}
		// The query counts too (SDKs pass key names there), except the
		// encryption parameters, which vary per client, not per request.
		q := r.URL.Query()
		for k := range q {
			if strings.HasPrefix(k, "encrypt") {
				q.Del(k)
			}
		}
		h := sha256.New()
		h.Write([]byte(r.Method + " " + r.URL.Path + "?" + q.Encode() + "\n"))
		h.Write(body)
		c.IdempotencyKey, c.Fingerprint = k, hex.EncodeToString(h.Sum(nil))
	}
	return nil
}

// baseURL is the absolute prefix of every href, Location and token
// subject: the configured public base URL (Proxy's base: KEYSTORM_BASE_URL
// on AWS, -public-url locally) when there is one, otherwise https:// and
// the domain name and stage API Gateway puts in the request context (the
// stage only on execute-api hosts, as the authorizer's account hrefs).
// Never the client's Host or X-Forwarded-* headers: anyone can send those,
// and an href or token subject pointing at their host would be trusted by
// whoever follows it. Without either (a handler called directly, not
// through Proxy and API Gateway) hrefs are relative.
func baseURL(r *http.Request) string {
	if b, ok := r.Context().Value(baseKey{}).(string); ok && b != "" {
		return b
	}
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok && validDomain(gw.DomainName) {
		return authorizer.RequestBaseURL("https", gw.DomainName, gw.Stage)
	}
	return ""
}

// validDomain accepts what API Gateway puts in requestContext.domainName:
// a DNS name or IP literal with an optional port, nothing that could add
// a path, credentials or a second line to an href.
func validDomain(d string) bool {
	if d == "" || len(d) > 255 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return false
		}
	}
	return true
}

// readBody reads a body of at most limit bytes. Bodies must be JSON; an
// empty body is allowed (Stormpath SDKs create API keys with no body at
// all).
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, domain.E(domain.KindTooLarge, domain.CodeBodyTooLarge, "", "The request body must be at most %d bytes.", limit)
		}
		return nil, domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, domain.E(domain.KindUnsupportedMedia, domain.CodeUnsupportedMedia, "Content-Type", "The request body must be JSON, sent with Content-Type: application/json.")
	}
	// Checked here too, not only in object, so that no handler ever sees
	// a body Go's decoder would silently repair.
	if err := checkUTF8(body); err != nil {
		return nil, err
	}
	return body, nil
}

// maxBodyDepth bounds how deeply any JSON body nests: twice customData's
// own limit, so customData's clearer message wins below it.
const maxBodyDepth = 2 * domain.MaxCustomDataDepth

// checkUTF8 refuses a body that is not UTF-8: RFC 8259 §8.1 requires it,
// and Go's decoder would otherwise replace each bad byte with U+FFFD and
// store a string the client never sent.
func checkUTF8(body []byte) error {
	if !utf8.Valid(body) {
		return domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body is not valid UTF-8 (RFC 8259 requires JSON to be UTF-8).")
	}
	return nil
}

// checkRaw scans a body that decoded as JSON for what the decoder
// accepts but should not be stored: a \u escape of a lone surrogate
// (the decoder turns it into U+FFFD; strict parsers reject it), and
// nesting deeper than maxBodyDepth. One pass over the bytes, with no
// recursion and no allocation, so no body can make it expensive.
func checkRaw(body []byte) error {
	depth, inString := 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			switch c {
			case '"':
				inString = true
			case '{', '[':
				if depth++; depth > maxBodyDepth {
					return domain.E(domain.KindInvalid, domain.CodeTooComplex, "", "The request body must not nest JSON more than %d levels deep.", maxBodyDepth)
				}
			case '}', ']':
				depth--
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 < len(body) && body[i+1] == 'u' {
				r := hex4(body, i+2)
				switch {
				case r >= 0xD800 && r < 0xDC00:
					if i+11 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
						if lo := hex4(body, i+8); lo >= 0xDC00 && lo < 0xE000 {
							i += 11
							continue
						}
					}
					return loneSurrogate(r)
				case r >= 0xDC00 && r < 0xE000:
					return loneSurrogate(r)
				}
				i += 5
			} else {
				i++
			}
		}
	}
	return nil
}

// validUTF8 serves ParseForm (oauth.go), whose form values are checked
// after percent-decoding.
func validUTF8(s string) bool { return utf8.ValidString(s) }

func loneSurrogate(r rune) error {
	return domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body holds \\u%04X, half of a surrogate pair without its other half, which is no character.", r)
}

// hex4 reads the four hex digits at b[i:], -1 when there are none.
func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// object parses a JSON object body into its properties, keeping values
// raw so each can be type-checked and unknown ones named.
func object(body []byte) (map[string]json.RawMessage, error) {
	props := map[string]json.RawMessage{}
	if body == nil {
		return props, nil
	}
	if err := checkUTF8(body); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&props); err != nil {
		return nil, malformed(err)
	}
	if dec.More() {
		return nil, domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body must hold exactly one JSON object.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body must hold exactly one JSON object.")
	}
	if err := checkRaw(body); err != nil {
		return nil, err
	}
	return props, nil
}

func malformed(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body is not valid JSON (syntax error at byte %d).", se.Offset)
	case errors.As(err, &te):
		return domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body must be a JSON object.")
	default:
		return domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body is not valid JSON.")
	}
}

// fields validates a parsed object: writable properties are returned as
// typed values by the setters; read-only properties that SDKs send back
// on save (href, timestamps, links) are ignored; anything else is a 400
// naming the property.
type fields struct {
	props map[string]json.RawMessage
	used  map[string]bool
	// declared are the properties of the body's type (bodies.go), the
	// only ones a parser may read: what it reads is what the OpenAPI
	// document says it reads.
	declared map[string]bool
}

// bodyFields validates props as a body of body's type (a struct of
// bodies.go or authenticate.go).
func bodyFields(props map[string]json.RawMessage, body any) *fields {
	f := &fields{props: props, used: map[string]bool{}, declared: map[string]bool{}}
	for _, n := range jsonNames(reflect.TypeOf(body)) {
		f.declared[n] = true
	}
	return f
}

// read marks a property used, and refuses one the body's type does not
// declare: a parser bug (an undocumented property), answered as a 500 so
// that any test of the route finds it.
func (f *fields) read(name string) (json.RawMessage, bool, error) {
	if !f.declared[name] {
		return nil, false, fmt.Errorf("httpapi: the parser reads %s, which its body type does not declare", name)
	}
	f.used[name] = true
	raw, ok := f.props[name]
	return raw, ok, nil
}

// str returns a string property, nil when absent or null.
func (f *fields) str(name string) (*string, error) {
	raw, ok, err := f.read(name)
	if err != nil {
		return nil, err
	}
	f.used[name] = true
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be a string.", name)
	}
	return &s, nil
}

// customData reads an inline customData property: the fields to merge
// into the resource's customData; nil when absent, or when it is only the
// link ({"href": …}) that SDKs send back with the resource.
func (f *fields) customData() (map[string]json.RawMessage, error) {
	raw, ok, err := f.read("customData")
	if err != nil || !ok || isLinkOnly(raw) {
		return nil, err
	}
	return customDataObject(raw)
}

// rest checks the unused properties: read-only ones and any {href...}
// object (a link or an expansion) are ignored, others rejected.
func (f *fields) rest(readOnly ...string) error {
	ro := map[string]bool{"href": true, "id": true, "createdAt": true, "modifiedAt": true}
	for _, n := range readOnly {
		ro[n] = true
	}
	for name, raw := range f.props {
		if f.used[name] || ro[name] || isLink(raw) {
			continue
		}
		return domain.E(domain.KindInvalid, domain.CodeUnknownProperty, name, "%s is not a property of this resource.", name)
	}
	return nil
}

func isLink(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["href"]
	return ok
}

// page reads a collection query: offset, limit and after (a next link's
// position), and Stormpath's q, attribute filters (kind's
// domain.FilterAttrs), createdAt and modifiedAt ranges and orderBy. Any
// other parameter, unless extra names it, is refused by name: a filter
// silently ignored would answer with the wrong items.
func page(r *http.Request, kind string, extra ...string) (domain.Page, error) {
	q := r.URL.Query()
	var p domain.Page
	bad := func(name, format string, args ...any) (domain.Page, error) {
		return p, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, name, format, args...)
	}
	attrs := domain.FilterAttrs[kind]
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // the first bad parameter named is the same every time
	for _, name := range names {
		v := q.Get(name)
		switch {
		case name == "offset" || name == "limit":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return bad(name, "%s must be a whole number.", name)
			}
			if name == "offset" {
				p.Offset = n
			} else {
				p.Limit = n
			}
		case name == "after":
			if v == "" {
				continue
			}
			// The position is opaque to clients; one that does not
			// decode is refused like one that decodes to no sort key
			// (Normalize).
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil || len(b) == 0 {
				return bad("after", "after is not a position this server gave out; follow the collection's next link.")
			}
			p.After = string(b)
		case name == "q":
			if utf8.RuneCountInString(v) > 255 {
				return bad("q", "q may be at most 255 characters.")
			}
			p.Q = v
		case name == "createdAt" || name == "modifiedAt":
			tr, err := domain.ParseTimeRange(v)
			if err != nil {
				return bad(name, "%s must be a time or a range such as [2015-01-01, 2015-02-01): %s.", name, err)
			}
			if name == "createdAt" {
				p.CreatedAt = tr
			} else {
				p.ModifiedAt = tr
			}
		case name == "orderBy":
			o, err := orderBy(v)
			if err != nil {
				return bad("orderBy", "orderBy must be attribute names, each optionally followed by asc or desc, separated by commas: %s.", err)
			}
			p.OrderBy = o
		case name == "expand" || slices.Contains(extra, name):
		case slices.Contains(attrs, name):
			if v == "" || utf8.RuneCountInString(v) > 255 {
				return bad(name, "The %s filter must be 1 to 255 characters.", name)
			}
			p.Match = append(p.Match, domain.Match{Attr: name, Value: v})
		default:
			if len(name) > 64 || !paramName(name) {
				return bad("", "A query parameter is not known here.")
			}
			return bad(name, "Unknown query parameter %s.", name)
		}
	}
	return p.Normalize()
}

// orderBy reads "attr [asc|desc], …".
func orderBy(v string) ([]domain.Order, error) {
	var out []domain.Order
	for term := range strings.SplitSeq(v, ",") {
		f := strings.Fields(term)
		if len(f) == 0 || len(f) > 2 || len(out) == 5 {
			return nil, errors.New("at most 5 terms")
		}
		o := domain.Order{Attr: f[0]}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				o.Desc = true
			default:
				return nil, errors.New("a direction is asc or desc")
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// paramName reports a name safe to quote in an error message: ASCII
// letters, digits and a few marks, as every real parameter name is.
func paramName(s string) bool {
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return s != ""
}
