package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/keystorm/keystorm/domain"
)

// CodeInvalidPath answers a request whose path (or, inside a Lambda
// function, whose method or body encoding) cannot be taken as it is: a
// control character, a Unicode line or paragraph separator, invalid UTF-8,
// or a '%' left after the one decoding API Gateway does. It is a transport
// error, found before any domain code runs, so it lives here rather than
// among the domain's codes; the README lists it with them.
const CodeInvalidPath = 8003

// Codes is every public error code: the domain's, and CodeInvalidPath,
// which only this package builds. The README's error table lists exactly
// these (codes_test.go checks it).
var Codes = append(slices.Clone(domain.Codes), domain.CodeInfo{
	Code: CodeInvalidPath, Name: "CodeInvalidPath", Kind: domain.KindInvalid,
	Meaning: "the path holds a character or escape that is not allowed",
})

// errInvalidPath is the one answer to every such request. It names no
// character: the path is attacker-controlled and echoing it back helps
// nobody.
var errInvalidPath = domain.E(domain.KindInvalid, CodeInvalidPath, "",
	"The request path holds a character or escape that is not allowed (a control character, a line separator, invalid UTF-8, or a '%%' that is not a valid escape).")

// CheckPath reports whether a decoded request path, or one decoded path
// parameter, may be served. Control characters (NUL, CR, LF, ESC, DEL and
// the C1 range) and U+2028/U+2029 split or recolour log lines in the tools
// people read logs with; invalid UTF-8 cannot be rendered faithfully in
// JSON. A '%' can only be left after decoding when the client sent a bad
// escape or encoded twice: a second decoding (the proxy library re-parses
// the path it is given) would then read a different path than the one
// API Gateway routed and authorized, so it is refused too.
func CheckPath(p string) error {
	if !printable(p) || strings.Contains(p, "%") {
		return errInvalidPath
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters
// or line and paragraph separators: text that stays one faithful line
// wherever it is printed.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// ParseBaseURL checks a configured public base URL (KEYSTORM_BASE_URL,
// PublicBaseUrl, the local server's -public-url) and returns it without a
// trailing slash. It must be an absolute http(s) URL without credentials,
// query or fragment, and printable: it is printed and logged as it is.
func ParseBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || !printable(s) {
		return "", fmt.Errorf("base URL %q: want an absolute http(s) URL without credentials, query or fragment", s)
	}
	return strings.TrimRight(s, "/"), nil
}

type baseKey struct{}

// withBaseURL makes base the prefix of every href built for requests
// under ctx (see baseURL).
func withBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseKey{}, base)
}

// ProxyFunc is a Lambda handler for API Gateway (REST API) proxy events.
type ProxyFunc func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Proxy serves h as a Lambda function behind API Gateway: every function's
// wiring and the local stack use it instead of httpadapter directly. base
// is the configured public base URL (from ParseBaseURL; empty: derived
// from the request context API Gateway sets, see baseURL).
//
// The proxy library turns the event back into a URL and parses it; when
// that fails it answers 502 and prints the raw method and path to stdout
// with fmt.Printf, outside any logger, so a path holding "\n{...}" writes
// a forged log line. Proxy therefore checks the event first and answers
// 400 in the API's error format (CodeInvalidPath) for anything the library
// could choke on, so the library's own error paths, and their prints,
// are never reached. It also escapes the path it hands on, so the library
// decodes it back to exactly the path API Gateway decoded, instead of
// decoding a second time or cutting it at a '?' or '#'.
func Proxy(h http.Handler, base string) ProxyFunc {
	adapter := httpadapter.New(statusGuard{h})
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if !acceptable(&ev) {
			return refuse(ev.RequestContext.RequestID), nil
		}
		if base != "" {
			ctx = withBaseURL(ctx, base)
		}
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			// Unreachable after acceptable; should it happen, the cause
			// goes to the JSON log and the client gets the API's 500.
			slog.ErrorContext(ctx, "proxy event conversion failed", "requestId", ev.RequestContext.RequestID, "err", err)
			return answer(Describe(err, ev.RequestContext.RequestID)), nil
		}
		return resp, nil
	}
}

// acceptable checks everything the proxy library's conversion can fail
// on (the method, the URL it builds, a base64 body) and every path
// parameter, and escapes ev.Path for it.
func acceptable(ev *events.APIGatewayProxyRequest) bool {
	if !validMethod(ev.HTTPMethod) || CheckPath(ev.Path) != nil {
		return false
	}
	for _, v := range ev.PathParameters {
		if CheckPath(v) != nil {
			return false
		}
	}
	if ev.IsBase64Encoded {
		if _, err := base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return false
		}
	}
	p := ev.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = (&url.URL{Path: p}).EscapedPath()
	// The very URL the library will parse (core.EventToRequest), minus
	// the query, which it escapes itself.
	server := "https://" + ev.RequestContext.DomainName
	if v, ok := os.LookupEnv(core.CustomHostVariable); ok {
		server = v
	}
	if _, err := url.Parse(server + p); err != nil {
		return false
	}
	ev.Path = p
	return true
}

// validMethod is net/http's rule for a method: a non-empty token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

func refuse(requestID string) events.APIGatewayProxyResponse {
	return answer(Describe(errInvalidPath, requestID))
}

// answer renders an error body as the proxy response writeJSON would
// have produced.
func answer(body ErrorBody) events.APIGatewayProxyResponse {
	w := core.NewProxyResponseWriter()
	writeJSON(w, body.Status, body)
	resp, _ := w.GetProxyResponse() // cannot fail: writeJSON sets the status
	return resp
}

// statusGuard makes a handler that writes nothing answer 200, as net/http
// does: the proxy library would otherwise fail the whole invocation and
// print its error outside the JSON log.
type statusGuard struct{ h http.Handler }

func (g statusGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	g.h.ServeHTTP(sw, r)
	if !sw.wrote {
		w.WriteHeader(http.StatusOK)
	}
}

type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
