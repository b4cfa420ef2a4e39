package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// proxyEvent is a minimal API Gateway proxy event for path.
func proxyEvent(method, path string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource: "/things/{id}", Path: path, HTTPMethod: method,
		Headers:        map[string]string{"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"},
		PathParameters: map[string]string{"id": strings.TrimPrefix(path, "/things/")},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "rid-1", Stage: "prod",
			DomainName: "abc123.execute-api.us-east-1.amazonaws.com", HTTPMethod: method},
	}
}

// seen is a handler that records the request it got and answers with the
// href base it would use.
type seen struct{ r *http.Request }

func (s *seen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.r = r
	writeJSON(w, 200, map[string]string{"base": baseURL(r)})
}

func wantInvalidPath(t *testing.T, resp events.APIGatewayProxyResponse, err error) {
	t.Helper()
	var body ErrorBody
	if err != nil || resp.StatusCode != 400 || http.Header(resp.MultiValueHeaders).Get("Content-Type") != "application/json" ||
		json.Unmarshal([]byte(resp.Body), &body) != nil || body.Status != 400 || body.Code != CodeInvalidPath ||
		body.RequestID != "rid-1" || !strings.HasSuffix(body.MoreInfo, "#error-8003") {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
}

// An event the proxy library could not turn into a request (it would
// answer 502 and print the raw path to stdout) is answered 400 by Proxy,
// and the handler never runs.
func TestProxyRefusesMalformedEvents(t *testing.T) {
	forged := `{"level":"ERROR","msg":"FORGED"}`
	cases := map[string]func(*events.APIGatewayProxyRequest){
		"LF in the path":             func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\n" + forged + "\n" },
		"CR in the path":             func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\r" + forged },
		"NUL":                        func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\x00" },
		"ANSI escape":                func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\x1b[31m" },
		"C1 control":                 func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\u0085" },
		"line separator":             func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\u2028" + forged },
		"paragraph separator":        func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\u2029" },
		"invalid UTF-8":              func(e *events.APIGatewayProxyRequest) { e.Path = "/things/x\xff" },
		"bad escape":                 func(e *events.APIGatewayProxyRequest) { e.Path = "/things/%zz" },
		"escape left after decoding": func(e *events.APIGatewayProxyRequest) { e.Path = "/things/%0A" },
		"only a path parameter":      func(e *events.APIGatewayProxyRequest) { e.PathParameters["id"] = "x\n" + forged },
		"method with a newline":      func(e *events.APIGatewayProxyRequest) { e.HTTPMethod = "GET\n" + forged },
		"empty method":               func(e *events.APIGatewayProxyRequest) { e.HTTPMethod = "" },
		"bad base64 body":            func(e *events.APIGatewayProxyRequest) { e.Body, e.IsBase64Encoded = "not base64!", true },
		"domain name with a space":   func(e *events.APIGatewayProxyRequest) { e.RequestContext.DomainName = "a b" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			h := &seen{}
			ev := proxyEvent("GET", "/things/tk421")
			mutate(&ev)
			resp, err := Proxy(h, "")(context.Background(), ev)
			wantInvalidPath(t, resp, err)
			if h.r != nil {
				t.Fatal("the handler ran")
			}
		})
	}
}

// The handler sees exactly the path API Gateway decoded: a '?' or '#' in
// it stays part of the path instead of starting a query or fragment, and
// nothing is decoded a second time.
func TestProxyPassesThePathOnAsDecoded(t *testing.T) {
	for _, p := range []string{"/things/tk421", "/things/a?b=c", "/things/a#b", "/things/a b", "/things/trooper@empire.example", "/things/Ωmega"} {
		h := &seen{}
		ev := proxyEvent("GET", p)
		resp, err := Proxy(h, "")(context.Background(), ev)
		if err != nil || resp.StatusCode != 200 || h.r == nil {
			t.Fatalf("%q: %v %d %s", p, err, resp.StatusCode, resp.Body)
		}
		if h.r.URL.Path != p || h.r.URL.RawQuery != "" || h.r.URL.Fragment != "" {
			t.Errorf("%q reached the handler as path %q query %q fragment %q", p, h.r.URL.Path, h.r.URL.RawQuery, h.r.URL.Fragment)
		}
	}
}

// Hrefs start with the configured base URL, or else with what API Gateway
// set (domain name and stage), never with the client's Host or
// X-Forwarded-* headers.
func TestProxyBaseURL(t *testing.T) {
	for _, c := range []struct{ name, base, domain, want string }{
		{"configured", "https://api.keystorm.example", "abc123.execute-api.us-east-1.amazonaws.com", "https://api.keystorm.example"},
		{"execute-api endpoint", "", "abc123.execute-api.us-east-1.amazonaws.com", "https://abc123.execute-api.us-east-1.amazonaws.com/prod"},
		{"custom domain", "", "api.keystorm.example", "https://api.keystorm.example"},
		{"no usable domain name", "", "evil.example/x", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := proxyEvent("GET", "/things/tk421")
			ev.RequestContext.DomainName = c.domain
			h := &seen{}
			resp, err := Proxy(h, c.base)(context.Background(), ev)
			var got map[string]string
			if err != nil || resp.StatusCode != 200 || json.Unmarshal([]byte(resp.Body), &got) != nil {
				t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
			}
			if got["base"] != c.want {
				t.Fatalf("base %q, want %q", got["base"], c.want)
			}
		})
	}
}

// A handler that writes nothing answers 200, as under net/http; the proxy
// library would otherwise fail the invocation and print outside the log.
func TestProxyHandlerWritingNothing(t *testing.T) {
	resp, err := Proxy(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "")(context.Background(), proxyEvent("GET", "/things/tk421"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %+v", err, resp)
	}
}

// The checks mirror the proxy library: what Proxy accepts, the library
// converts without an error (so its error prints are never reached).
func FuzzProxyAccepts(f *testing.F) {
	for _, s := range []string{"/things/tk421", "/things/a?b", "/things/%zz", "/things/\n", "things", "/a b/\u00e9", "//x", "/[::1]"} {
		f.Add("GET", s, "abc123.execute-api.us-east-1.amazonaws.com")
	}
	f.Add("GET", "/x", "[::1")
	f.Add("G T", "/x", "h")
	f.Fuzz(func(t *testing.T, method, path, domain string) {
		ev := proxyEvent(method, path)
		ev.RequestContext.DomainName = domain
		if !acceptable(&ev) {
			return
		}
		if _, err := (&core.RequestAccessor{}).EventToRequest(ev); err != nil {
			t.Fatalf("accepted %q %q on %q, but the library fails: %v", method, path, domain, err)
		}
	})
}

func TestParseBaseURL(t *testing.T) {
	good := map[string]string{
		"https://api.keystorm.example":                         "https://api.keystorm.example",
		"http://127.0.0.1:3000/":                               "http://127.0.0.1:3000",
		"https://abc.execute-api.us-east-1.amazonaws.com/prod": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
	}
	for in, want := range good {
		if got, err := ParseBaseURL(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "api.keystorm.example", "ftp://x", "https://", "https://u:p@x", "https://x?a=b", "https://x?", "https://x#f",
		"https://x/\u2028", "https://x/a\x00"} {
		if got, err := ParseBaseURL(in); err == nil {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}
