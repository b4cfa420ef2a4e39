package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/template"
)

// ProxyFunc is a Lambda handler for API Gateway proxy events.
type ProxyFunc func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// AuthorizerFunc is a Lambda handler for REQUEST authorizer events.
type AuthorizerFunc func(context.Context, events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error)

// Gateway serves the template's routes.
type Gateway struct {
	Routes     []template.Route
	Functions  map[string]ProxyFunc // by function folder name
	Authorizer AuthorizerFunc
	Stage      string
	// StageVariables by API logical id, as the template declares them.
	StageVariables map[string]map[string]string
	Region         string
	AccountID      string
	// MaxBody is API Gateway's payload limit (10 MB).
	MaxBody int64
	// DomainName is what API Gateway puts in requestContext.domainName:
	// the API's own host (here the public URL's), which functions may
	// build hrefs from. Never the client's Host header.
	DomainName string
	Log        *slog.Logger
	// Plans and Limiter throttle requests as API Gateway's usage plans
	// do: a request whose authorizer answer names a usage identifier in
	// a plan takes a token from that identifier's bucket, or is answered
	// 429 with Retry-After. Nil Plans throttles nothing.
	Plans   *Plans
	Limiter *domain.RateLimiter
}

// New returns a gateway with API Gateway's defaults.
func New(routes []template.Route, fns map[string]ProxyFunc, authz AuthorizerFunc) *Gateway {
	return &Gateway{Routes: routes, Functions: fns, Authorizer: authz, Stage: "prod", Region: "us-east-1",
		AccountID: "000000000000", MaxBody: 10 << 20, Log: slog.Default()}
}

// API Gateway's own answers, as template.yaml's GatewayResponses set them.
var (
	errAccessDenied = domain.E(domain.KindForbidden, domain.CodeForbidden, "", "This request is not allowed.")
	errTooLarge     = domain.E(domain.KindTooLarge, domain.CodeBodyTooLarge, "", "The request is too large.")
	errInternal     = domain.E(domain.KindInternal, domain.CodeInternal, "", "Internal error.")
	errUnreadable   = domain.E(domain.KindInvalid, domain.CodeMalformedJSON, "", "The request body could not be read.")
	errThrottled    = domain.E(domain.KindThrottled, domain.CodeThrottled, "", "Too many requests; retry later.")
)

// gatewayError answers like the template's GatewayResponses, in the API's
// error shape (built by httpapi.Describe, the one error mapping). status
// overrides the kind's status where API Gateway differs (502).
func gatewayError(w http.ResponseWriter, err error, rid string, status int) {
	body := httpapi.Describe(err, rid)
	if status != 0 {
		body.Status = status
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", rid)
	if body.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="keystorm"`)
	}
	w.WriteHeader(body.Status)
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := newRequestID()
	// Before routing, so a forged path reaches neither the authorizer nor
	// a function (whose proxy library would fail on it with a 502 and
	// print it raw): the same check the functions make (httpapi.Proxy).
	if err := httpapi.CheckPath(r.URL.Path); err != nil {
		gatewayError(w, err, rid, 0)
		g.logAccess(r, template.Route{}, httpapi.Describe(err, rid).Status, start, rid)
		return
	}
	rt, params, ok := template.Match(g.Routes, r.Method, r.URL.Path)
	if !ok {
		if allowed := template.Allowed(g.Routes, r.URL.Path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			gatewayError(w, domain.E(domain.KindMethodNotAllowed, domain.CodeMethodNotAllowed, "", "%s is not allowed here.", r.Method), rid, 0)
			return
		}
		gatewayError(w, domain.ErrNotFound, rid, 0)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, g.MaxBody+1))
	switch {
	case err != nil:
		// A client that stopped sending (the server's read timeout) or
		// broke off: not a size problem.
		gatewayError(w, errUnreadable, rid, 0)
		return
	case int64(len(body)) > g.MaxBody:
		gatewayError(w, errTooLarge, rid, 0)
		return
	}
	ev := g.proxyEvent(r, rt, params, body, rid)
	if !rt.Public {
		authCtx, usage, err := g.authorize(r.Context(), r, rt, params, ev, rid)
		if err != nil {
			gatewayError(w, err, rid, 0)
			g.logAccess(r, rt, httpapi.Describe(err, rid).Status, start, rid)
			return
		}
		if wait, ok := g.throttle(usage); !ok {
			// API Gateway answers a throttled request 429 without
			// Retry-After; the local gateway adds it, rounded up to
			// whole seconds (RFC 9110 §10.2.3).
			secs := int64((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			gatewayError(w, errThrottled, rid, 0)
			g.logAccess(r, rt, http.StatusTooManyRequests, start, rid)
			return
		}
		ev.RequestContext.Authorizer = authCtx
	}
	fn := g.Functions[rt.Function]
	if fn == nil {
		g.Log.Error("no handler for function", "function", rt.Function, "requestId", rid)
		gatewayError(w, errInternal, rid, 0)
		return
	}
	resp, err := fn(r.Context(), ev)
	if err != nil {
		g.Log.Error("function failed", "function", rt.Function, "requestId", rid, "err", err)
		gatewayError(w, errInternal, rid, http.StatusBadGateway)
		return
	}
	g.write(w, resp, rid)
	g.logAccess(r, rt, resp.StatusCode, start, rid)
}

func (g *Gateway) logAccess(r *http.Request, rt template.Route, status int, start time.Time, rid string) {
	g.Log.Info("request", "method", r.Method, "path", httpapi.LogPath(r.URL.Path), "route", rt.Path, "function", rt.Function,
		"status", status, "ms", time.Since(start).Milliseconds(), "requestId", rid)
}

func (g *Gateway) write(w http.ResponseWriter, resp events.APIGatewayProxyResponse, rid string) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		w.Header().Del(k)
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("x-amzn-RequestId", rid)
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	status := resp.StatusCode
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (g *Gateway) apiID(api string) string {
	if api == "" {
		return "local"
	}
	return strings.ToLower(api)
}

// proxyEvent builds the event API Gateway would send to the function.
func (g *Gateway) proxyEvent(r *http.Request, rt template.Route, params map[string]string, body []byte, rid string) events.APIGatewayProxyRequest {
	headers := map[string]string{}
	mvh := map[string][]string{}
	for k, vs := range r.Header {
		headers[k] = vs[len(vs)-1]
		mvh[k] = append([]string(nil), vs...)
	}
	headers["Host"], mvh["Host"] = r.Host, []string{r.Host}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	headers["X-Forwarded-Proto"], mvh["X-Forwarded-Proto"] = proto, []string{proto}
	var qs map[string]string
	var mvq map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		qs, mvq = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			qs[k] = vs[len(vs)-1]
			mvq[k] = vs
		}
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayProxyRequest{
		Resource: rt.Path, Path: r.URL.Path, HTTPMethod: r.Method,
		Headers: headers, MultiValueHeaders: mvh,
		QueryStringParameters: qs, MultiValueQueryStringParameters: mvq,
		PathParameters: params, StageVariables: g.StageVariables[rt.API],
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: g.AccountID, ResourceID: "local", Stage: g.Stage, RequestID: rid,
			Identity:     events.APIGatewayRequestIdentity{SourceIP: sourceIP, UserAgent: r.UserAgent()},
			ResourcePath: rt.Path, HTTPMethod: r.Method, APIID: g.apiID(rt.API),
			Path: "/" + g.Stage + r.URL.Path, DomainName: g.DomainName, Protocol: r.Proto,
			RequestTimeEpoch: time.Now().UnixMilli(),
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// methodArn is the ARN API Gateway passes to authorizers.
func (g *Gateway) methodArn(rt template.Route, method, p string) string {
	return "arn:aws:execute-api:" + g.Region + ":" + g.AccountID + ":" + g.apiID(rt.API) + "/" + g.Stage + "/" + method + p
}

// throttle takes a request from the bucket of its usage identifier, if
// that is in a plan: false, and how long to wait, when the bucket is
// empty. An identifier in no plan is not throttled (the projector may
// not have caught up with a key just created; on AWS, a method that
// requires an API key would answer 403 meanwhile).
func (g *Gateway) throttle(usage string) (time.Duration, bool) {
	if usage == "" || g.Plans == nil || g.Limiter == nil {
		return 0, true
	}
	limit, ok := g.Plans.Limit(usage)
	if !ok {
		return 0, true
	}
	ok, wait := g.Limiter.Allow(usage, limit)
	return wait, ok
}

// authorize runs the authorizer as API Gateway does and returns the
// context for the function and the usage identifier it named, or the
// error API Gateway answers with.
func (g *Gateway) authorize(ctx context.Context, r *http.Request, rt template.Route, params map[string]string, pe events.APIGatewayProxyRequest, rid string) (map[string]any, string, error) {
	// The identity source is the Authorization header: without it API
	// Gateway answers 401 and never calls the authorizer.
	if r.Header.Get("Authorization") == "" {
		return nil, "", domain.ErrUnauthenticated
	}
	arn := g.methodArn(rt, r.Method, r.URL.Path)
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: arn, Resource: rt.Path, Path: r.URL.Path, HTTPMethod: r.Method,
		Headers: pe.Headers, MultiValueHeaders: pe.MultiValueHeaders,
		QueryStringParameters: pe.QueryStringParameters, MultiValueQueryStringParameters: pe.MultiValueQueryStringParameters,
		PathParameters: params, StageVariables: g.StageVariables[rt.API],
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: pe.RequestContext.Path, AccountID: g.AccountID, ResourceID: "local", Stage: g.Stage, RequestID: rid,
			Identity:     events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: pe.RequestContext.Identity.SourceIP},
			ResourcePath: rt.Path, HTTPMethod: r.Method, APIID: g.apiID(rt.API),
		},
	}
	if g.Authorizer == nil {
		return nil, "", errInternal
	}
	resp, err := g.Authorizer(ctx, ev)
	if err != nil {
		if err.Error() == "Unauthorized" {
			return nil, "", domain.ErrUnauthenticated
		}
		g.Log.Error("authorizer failed", "requestId", rid, "err", err)
		return nil, "", errInternal
	}
	if !Allows(resp.PolicyDocument, arn) {
		return nil, "", errAccessDenied
	}
	out := map[string]any{"principalId": resp.PrincipalID}
	for k, v := range resp.Context {
		out[k] = v
	}
	return out, resp.UsageIdentifierKey, nil
}

// Allows evaluates an authorizer policy for one method ARN as IAM does:
// an explicit Deny wins, then an Allow must match.
func Allows(doc events.APIGatewayCustomAuthorizerPolicy, arn string) bool {
	allowed := false
	for _, st := range doc.Statement {
		if !actionMatches(st.Action) {
			continue
		}
		for _, res := range st.Resource {
			if !arnMatch(res, arn) {
				continue
			}
			switch strings.ToLower(st.Effect) {
			case "deny":
				return false
			case "allow":
				allowed = true
			}
		}
	}
	return allowed
}

func actionMatches(actions []string) bool {
	for _, a := range actions {
		if a == "execute-api:Invoke" || a == "execute-api:*" || a == "*" {
			return true
		}
	}
	return false
}

// arnMatch matches IAM resource patterns, where * and ? may span "/".
func arnMatch(pattern, arn string) bool {
	// path.Match stops * at "/", which IAM does not; replace separators
	// with a character neither side contains.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", sep), strings.ReplaceAll(arn, "/", sep))
	return err == nil && ok
}
