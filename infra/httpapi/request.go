package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// MaxBody bounds request bodies; customData, the largest input, is capped
// at 10 KB by the domain.
const MaxBody = 32 << 10

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

// caller builds the domain caller for a management request. Only admin
// keys may manage: a developer's key is refused here (and again in the
// domain).
func caller(r *http.Request, body []byte) (domain.Caller, error) {
	id, err := identity(r)
	if err != nil {
		return domain.Caller{}, err
	}
	if !id.Admin {
		return domain.Caller{}, domain.ErrForbidden
	}
	c := domain.Caller{TenantID: id.TenantID, AccountID: id.AccountID, KeyID: id.APIKeyID, Admin: true, RequestID: requestID(r)}
	if k := r.Header.Get("Idempotency-Key"); k != "" && r.Method == http.MethodPost {
		if len(k) > maxIdempotencyKey {
			return domain.Caller{}, domain.E(domain.KindInvalid, domain.CodeInvalidValue, "Idempotency-Key", "The Idempotency-Key header must be at most %d characters.", maxIdempotencyKey)
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
	return c, nil
}

// baseURL is the absolute prefix of every href: KEYSTORM_BASE_URL when
// set, otherwise the request's own scheme and host, plus the stage on
// execute-api hosts. Stormpath SDKs require hrefs to start with the exact
// base URL they were given, so echoing the request's host is what makes
// them work.
func baseURL(r *http.Request) string {
	if b := os.Getenv("KEYSTORM_BASE_URL"); b != "" {
		return strings.TrimRight(b, "/")
	}
	host := r.Header.Get("Host")
	if host == "" {
		host = r.Host
	}
	stage := ""
	if gw, ok := core.GetAPIGatewayContextFromContext(r.Context()); ok {
		stage = gw.Stage
	}
	// The same rule as the authorizer's account hrefs, so both agree.
	return authorizer.RequestBaseURL(r.Header.Get("X-Forwarded-Proto"), host, stage)
}

// readBody reads a bounded body. Bodies must be JSON; an empty body is
// allowed (Stormpath SDKs create API keys with no body at all).
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, domain.E(domain.KindTooLarge, domain.CodeBodyTooLarge, "", "The request body must be at most %d bytes.", MaxBody)
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
	return body, nil
}

// object parses a JSON object body into its properties, keeping values
// raw so each can be type-checked and unknown ones named.
func object(body []byte) (map[string]json.RawMessage, error) {
	props := map[string]json.RawMessage{}
	if body == nil {
		return props, nil
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
}

func newFields(props map[string]json.RawMessage) *fields {
	return &fields{props: props, used: map[string]bool{}}
}

// str returns a string property, nil when absent or null.
func (f *fields) str(name string) (*string, error) {
	raw, ok := f.props[name]
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

// page reads offset and limit.
func page(r *http.Request) (domain.Page, error) {
	q := r.URL.Query()
	var p domain.Page
	for name, dst := range map[string]*int{"offset": &p.Offset, "limit": &p.Limit} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, name, "%s must be a whole number.", name)
		}
		*dst = n
	}
	if ob := q.Get("orderBy"); ob != "" && ob != "createdAt" && ob != "createdAt asc" && ob != "createdAt ASC" {
		return p, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "orderBy", "orderBy supports only createdAt (ascending).")
	}
	return p.Normalize()
}
