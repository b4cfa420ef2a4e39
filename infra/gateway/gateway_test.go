package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/template"
)

func policy(stmts ...events.IAMPolicyStatement) events.APIGatewayCustomAuthorizerPolicy {
	return events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: stmts}
}

func stmt(effect string, res ...string) events.IAMPolicyStatement {
	return events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: res}
}

func TestAllowsEvaluatesPoliciesLikeIAM(t *testing.T) {
	arn := "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/troopers/tk421/equipment"
	cases := []struct {
		name string
		doc  events.APIGatewayCustomAuthorizerPolicy
		want bool
	}{
		{"exact allow", policy(stmt("Allow", arn)), true},
		{"route template allow", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/troopers/*/equipment")), true},
		{"other route", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/GET/v1/accounts/*")), false},
		{"other method", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/POST/troopers/*/equipment")), false},
		{"wildcard spans slashes", policy(stmt("Allow", "arn:aws:execute-api:us-east-1:000000000000:exampleapi/prod/*")), true},
		{"deny wins", policy(stmt("Allow", arn), stmt("Deny", arn)), false},
		{"no statements", policy(), false},
		{"wrong action", policy(events.IAMPolicyStatement{Action: []string{"s3:GetObject"}, Effect: "Allow", Resource: []string{arn}}), false},
	}
	for _, tc := range cases {
		if got := Allows(tc.doc, arn); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// forgedLine is a log line an attacker would like to see in the logs.
const forgedLine = `{"level":"ERROR","msg":"FORGED"}`

// forgedSegments are path segments (decoded) that must never be served:
// each would start a line of its own, recolour one, or be decoded a
// second time if it went further.
var forgedSegments = []string{
	"x\n" + forgedLine + "\n", "x\r" + forgedLine, "x\r\n" + forgedLine, "x\u2028" + forgedLine, "x\u2029" + forgedLine,
	"x\x1b[2K\r" + forgedLine, "x\x00", "x\x7f", "x\u0085" + forgedLine, "x\t", "x\xff\xfe", "x%0A" + forgedLine, "x%zz", "x%",
}

type recorder struct {
	mu     sync.Mutex
	events []events.APIGatewayProxyRequest
	authz  int
}

func (rec *recorder) fn(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, ev)
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: "{}"}, nil
}

func (rec *recorder) authorizer(_ context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.authz++
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: "p", PolicyDocument: policy(stmt("Allow", ev.MethodArn))}, nil
}

// testGateway serves a public and a guarded route, both to rec, logging
// JSON into logs.
func testGateway(t *testing.T, rec *recorder, logs *bytes.Buffer) *httptest.Server {
	t.Helper()
	routes := []template.Route{
		{Function: "f", API: "Api", Method: "GET", Path: "/things/{id}", Public: true},
		{Function: "f", API: "Api", Method: "POST", Path: "/private/{id}/sub/{field}"},
	}
	g := New(routes, map[string]ProxyFunc{"f": rec.fn}, rec.authorizer)
	g.DomainName = "api.keystorm.example"
	g.Log = slog.New(slog.NewJSONHandler(logs, nil))
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

// Invalid characters in a path answer 400 in the API's error format
// before any authorizer or function runs, and the access log stays one
// JSON object per line.
func TestForgedPathsAnswer400(t *testing.T) {
	rec := &recorder{}
	var logs bytes.Buffer
	srv := testGateway(t, rec, &logs)
	for _, seg := range forgedSegments {
		for _, target := range []struct{ method, path string }{
			{"GET", "/things/" + url.PathEscape(seg)},
			{"POST", "/private/" + url.PathEscape(seg) + "/sub/f"},
			{"POST", "/private/ok/sub/" + url.PathEscape(seg)},
		} {
			req, err := http.NewRequest(target.method, srv.URL+target.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Basic eDp5")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var body httpapi.ErrorBody
			if res.StatusCode != 400 || res.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &body) != nil ||
				body.Status != 400 || body.Code != httpapi.CodeInvalidPath || body.RequestID != res.Header.Get("x-amzn-RequestId") {
				t.Errorf("%s %q: %d %s", target.method, target.path, res.StatusCode, b)
			}
		}
	}
	if len(rec.events) != 0 || rec.authz != 0 {
		t.Errorf("forged paths reached %d functions and %d authorizers", len(rec.events), rec.authz)
	}
	for _, line := range strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n") {
		if !json.Valid([]byte(line)) || strings.HasPrefix(line, forgedLine) {
			t.Errorf("log line %q", line)
		}
	}
	// A plain path is served.
	res, err := http.Get(srv.URL + "/things/tk421")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || len(rec.events) != 1 || rec.events[0].PathParameters["id"] != "tk421" {
		t.Fatalf("plain path: %d, %d function calls", res.StatusCode, len(rec.events))
	}
}

// The function's requestContext.domainName is the API's configured host,
// as API Gateway sets it, not the Host header a client sent.
func TestDomainNameIsNotTheHostHeader(t *testing.T) {
	rec := &recorder{}
	srv := testGateway(t, rec, &bytes.Buffer{})
	req, _ := http.NewRequest("GET", srv.URL+"/things/tk421", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(rec.events) != 1 {
		t.Fatalf("%d, %d function calls", res.StatusCode, len(rec.events))
	}
	if d := rec.events[0].RequestContext.DomainName; d != "api.keystorm.example" {
		t.Fatalf("domainName %q", d)
	}
}

// A client that breaks off in the middle of its body gets 400 (the body
// could not be read), not 413: nothing was too large.
func TestBrokenBodyIsNotTooLarge(t *testing.T) {
	rec := &recorder{}
	srv := testGateway(t, rec, &bytes.Buffer{})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /things/tk421 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	var body httpapi.ErrorBody
	if res.StatusCode != 400 || json.Unmarshal(b, &body) != nil || body.Code != 8000 || len(rec.events) != 0 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}
