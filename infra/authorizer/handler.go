package authorizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/metrics"
)

// Handler is Keystorm's Lambda authorizer for every API Gateway flavour:
// Invoke takes the raw event and dispatches on its shape to HandleRequest
// (REST API REQUEST), HandleToken (REST API TOKEN), or HandleHTTPAPISimple
// or HandleHTTPAPIIAM (HTTP API payload 2.0, as HTTPAPIResponse says).
type Handler struct {
	Decider *Decider
	// BaseURL overrides the href base derived from the request.
	BaseURL string
	// HTTPAPIResponse selects the answer to HTTP API events: HTTPAPISimple
	// (also when empty) or HTTPAPIIAM.
	HTTPAPIResponse string
	// Applications binds every API without a keystormApplications stage
	// variable (see Binding).
	Applications []string
	// Logger receives errors (never headers, secrets or tokens);
	// slog.Default() when nil.
	Logger *slog.Logger
	// Metrics, when set, receives one EMF line per decision: Allow or
	// Deny, by flavour and reason (fixed names, never request bytes),
	// which the template's alarms and dashboards read.
	Metrics *metrics.Emitter

	// lines holds the prepared decision lines, by decisionLine: the only
	// dimension values are fixed names, so each line is encoded once.
	lines sync.Map

	// answers caches REQUEST Allows per route and decision.
	answers answers
}

// New builds a Handler that checks API keys against store, caching key
// and account states for cfg.CacheTTL, and, when cfg.Verifier is set,
// Bearer tokens with that verifier, caching each verified token's decision
// (revocation, key and account status) for cfg.CacheTTL or until its exp.
// A nil clock panics.
func New(store domain.Store, clock domain.Clock, cfg Config) *Handler {
	if clock == nil {
		panic("authorizer: New needs a clock")
	}
	// A TTL of 0 disables the caches: both authenticators treat an entry
	// as expired from the instant it expires.
	ttl := max(cfg.CacheTTL, 0)
	d := &Decider{Keys: &domain.KeyAuthenticator{Store: store, Clock: clock, TTL: ttl, Usage: cfg.Usage}, Throttle: domain.NewThrottle(clock)}
	if cfg.Verifier != nil {
		d.Tokens = &domain.TokenAuthenticator{Store: store, Verifier: cfg.Verifier, Clock: clock, TTL: ttl, Usage: cfg.Usage}
	}
	return &Handler{Decider: d, BaseURL: cfg.BaseURL, HTTPAPIResponse: cfg.HTTPAPIResponse, Applications: cfg.Applications}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// verdict is the outcome of the flavour-independent part of a decision.
type verdict int

const (
	// allowed: good credentials, allowed on this API.
	allowed verdict = iota
	// unauthorized: missing, malformed or bad credentials (401).
	unauthorized
	// denied: the decision could not be made, or the credentials are good
	// but not for this API (403).
	denied
)

// event is what every flavour hands to authorize.
type event struct {
	flavour   string
	requestID string
	arn       string // methodArn or routeArn, for logs
	header    string
	headerOK  bool
	// stageVars is nil for TOKEN events, which carry none.
	stageVars map[string]string
	// source is the client's address, for the throttle; TOKEN events
	// carry none, so they are not throttled.
	source string
	// attrs are extra log attributes (never the header); empty ones are
	// left out. An array of slog.Attr, not []any, so that an event costs
	// no allocation unless it is logged.
	attrs [2]slog.Attr
}

// authorize is the part of every flavour that does not depend on the
// payload: the header, the decision, and the management API rule.
func (h *Handler) authorize(ctx context.Context, ev event) (Decision, verdict) {
	d, v, reason := h.decide(ctx, ev)
	if h.Metrics != nil {
		h.emitDecision(decisionLine{ev.flavour, v == allowed, reason})
	}
	return d, v
}

// decisionLine names one prepared Decisions line.
type decisionLine struct {
	flavour string
	allowed bool
	reason  string
}

// emitDecision writes the Decisions count of one decision: a line
// prepared at its first use, then only stamped and written.
func (h *Handler) emitDecision(k decisionLine) {
	p, ok := h.lines.Load(k)
	if !ok {
		decision := "Deny"
		if k.allowed {
			decision = "Allow"
		}
		prep, err := h.Metrics.Prepare(map[string]string{"Flavour": k.flavour, "Decision": decision, "Reason": k.reason},
			metrics.Metric{Name: "Decisions", Unit: metrics.UnitCount, Value: 1})
		if err != nil {
			return
		}
		p, _ = h.lines.LoadOrStore(k, prep)
	}
	_ = p.(*metrics.Prepared).Emit()
}

// Reasons of decisions, the Reason dimension of the Decisions metric.
const (
	reasonBasic          = "basic"               // allowed, an API key
	reasonBearer         = "bearer"              // allowed, an access token
	reasonNoHeader       = "no_header"           // not one Authorization header
	reasonInvalid        = "invalid_credentials" // bad, unknown, disabled, expired or throttled
	reasonManagement     = "management_forbidden"
	reasonCouldNotDecide = "error" // the store or a verifier failed
)

// decide is authorize without the metric, also saying why.
func (h *Handler) decide(ctx context.Context, ev event) (Decision, verdict, string) {
	if !ev.headerOK {
		h.logger().DebugContext(ctx, "authorizer denied", "reason", "no single Authorization header", "flavour", ev.flavour, "requestId", ev.requestID)
		return Decision{}, unauthorized, reasonNoHeader
	}
	d, err := h.Decider.Decide(ctx, ev.header, ev.source, h.binding(ev.stageVars))
	switch {
	case errors.Is(err, ErrUnauthorized):
		h.logger().DebugContext(ctx, "authorizer denied", "reason", err.Error(), "flavour", ev.flavour, "requestId", ev.requestID)
		return Decision{}, unauthorized, reasonInvalid
	case errors.Is(err, ErrForbidden):
		h.logger().InfoContext(ctx, "authorizer denied a developer credential on the management API", "flavour", ev.flavour, "requestId", ev.requestID)
		return Decision{}, denied, reasonManagement
	case err != nil:
		h.fail(ctx, ev, err)
		return Decision{}, denied, reasonCouldNotDecide
	}
	if d.AuthType == authctx.AuthBearer {
		return d, allowed, reasonBearer
	}
	return d, allowed, reasonBasic
}

// binding is the API's binding: the stage variable keystormApi (set in
// template.yaml) names the management API, and keystormApplications, when
// present, lists the applications an API is bound to; otherwise the
// function's own list (KEYSTORM_APPLICATIONS) applies. TOKEN events carry
// no stage variables, so they always get the function's list.
func (h *Handler) binding(stageVars map[string]string) Binding {
	if stageVars[StageVariableAPI] == ManagementAPI {
		return Binding{Management: true}
	}
	if v, ok := stageVars[StageVariableApplications]; ok {
		return Binding{Applications: ParseApplications(v)}
	}
	return Binding{Applications: h.Applications}
}

// recovered turns a panic into a logged "could not decide".
func (h *Handler) recovered(ctx context.Context, ev event, p any) {
	h.fail(ctx, ev, fmt.Errorf("panic: %v", p))
}

// HandleRequest answers one REST API REQUEST authorizer invocation: an
// Allow for the route template (see RouteResource) with the account href as
// principal and the authctx context; the error ErrUnauthorized (401) for
// bad or missing credentials; an explicit Deny for the methodArn (403) when
// the decision could not be made or a developer credential is used on the
// management API. It never returns Allow with an error.
//
// An Allow's PolicyDocument and Context are shared with later Allows for
// the same route and decision (they are cached, see answers): callers
// must not modify them.
func (h *Handler) HandleRequest(ctx context.Context, req events.APIGatewayCustomAuthorizerRequestTypeRequest) (resp events.APIGatewayCustomAuthorizerResponse, err error) {
	auth, ok := singleHeader(req, "Authorization")
	ev := event{flavour: "REQUEST", requestID: req.RequestContext.RequestID, arn: req.MethodArn, header: auth, headerOK: ok, source: req.RequestContext.Identity.SourceIP,
		stageVars: req.StageVariables, attrs: [2]slog.Attr{slog.String("httpMethod", method(req)), slog.String("resource", resourceTemplate(req))}}
	defer func() {
		if p := recover(); p != nil {
			h.recovered(ctx, ev, p)
			resp, err = deny(req.MethodArn), nil
		}
	}()
	d, v := h.authorize(ctx, ev)
	switch v {
	case unauthorized:
		return events.APIGatewayCustomAuthorizerResponse{}, ErrUnauthorized
	case denied:
		return deny(req.MethodArn), nil
	}
	key := answerKey{methodArn: req.MethodArn, httpMethod: method(req), resource: resourceTemplate(req), stage: req.RequestContext.Stage, d: d}
	if a, ok := h.answers.get(key); ok {
		return a, nil
	}
	resource, err := RouteResource(req.MethodArn, method(req), resourceTemplate(req))
	if err != nil {
		h.fail(ctx, ev, err)
		return deny(req.MethodArn), nil
	}
	href := h.baseURL(req) + "/v1/accounts/" + d.Principal.AccountID
	a := answer{
		PrincipalID:        href,
		PolicyDocument:     policy("Allow", resource),
		Context:            d.Identity(href).Map(),
		UsageIdentifierKey: d.UsageIdentifierKey(),
	}
	h.answers.put(key, a)
	return a, nil
}

// StageVariableAPI is the stage variable that names the API being
// authorized; ManagementAPI is its value on Keystorm's management API.
// StageVariableApplications lists the applications an API is bound to.
const (
	StageVariableAPI          = "keystormApi"
	ManagementAPI             = "management"
	StageVariableApplications = "keystormApplications"
)

// denyPrincipal names nobody: a Deny is not about a known principal.
const denyPrincipal = "unauthorized"

func deny(methodArn string) events.APIGatewayCustomAuthorizerResponse {
	return events.APIGatewayCustomAuthorizerResponse{PrincipalID: denyPrincipal, PolicyDocument: policy("Deny", methodArn)}
}

// fail logs a decision that could not be made. It logs the route and the
// error, never a header: err comes from the store, the verifier's key
// source or from parsing the event, none of which carries a credential.
func (h *Handler) fail(ctx context.Context, ev event, err error) {
	args := []any{"flavour", ev.flavour, "requestId", ev.requestID, "arn", ev.arn}
	for _, a := range ev.attrs {
		if a.Key != "" {
			args = append(args, a)
		}
	}
	h.logger().ErrorContext(ctx, "authorizer could not decide; denying", append(args, "err", err)...)
}

func method(req events.APIGatewayCustomAuthorizerRequestTypeRequest) string {
	if req.HTTPMethod != "" {
		return req.HTTPMethod
	}
	return req.RequestContext.HTTPMethod
}

func resourceTemplate(req events.APIGatewayCustomAuthorizerRequestTypeRequest) string {
	if req.Resource != "" {
		return req.Resource
	}
	return req.RequestContext.ResourcePath
}

// singleHeader returns the one value of a header, looked up
// case-insensitively in both headers and multiValueHeaders. It reports
// false when the header is absent or carries more than one distinct value
// (which would make the decision depend on which one a component reads).
func singleHeader(req events.APIGatewayCustomAuthorizerRequestTypeRequest, name string) (string, bool) {
	val, n := "", 0
	add := func(v string) {
		if n == 0 || v != val {
			val = v
			n++
		}
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			add(v)
		}
	}
	for k, vs := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			for _, v := range vs {
				add(v)
			}
		}
	}
	return val, n == 1
}

func (h *Handler) baseURL(req events.APIGatewayCustomAuthorizerRequestTypeRequest) string {
	if h.BaseURL != "" {
		return h.BaseURL
	}
	// Only what API Gateway sets: the API's default endpoint and stage,
	// from methodArn. Never the Host or X-Forwarded-Proto headers, which
	// any client can forge and backends would trust as the account's href.
	// (The REQUEST event's requestContext carries no domain name in
	// aws-lambda-go; a custom domain needs KEYSTORM_BASE_URL.)
	host, stage := defaultEndpoint(req.MethodArn)
	if req.RequestContext.Stage != "" {
		stage = req.RequestContext.Stage
	}
	return RequestBaseURL("https", host, stage)
}

// RequestBaseURL is the href base derived from a request: the scheme from
// X-Forwarded-Proto ("http" or "https"; anything else gives https), the
// Host, and "/<stage>" only when the host is an API Gateway execute-api
// host (<api>.execute-api.<region>.amazonaws.com, or a VPC endpoint's
// ...execute-api....amazonaws.com). Custom domains map a base path to a
// stage, and the local gateway has no stage, so neither gets the prefix.
func RequestBaseURL(forwardedProto, host, stage string) string {
	scheme := "https"
	if forwardedProto == "http" || forwardedProto == "https" {
		scheme = forwardedProto
	}
	base := scheme + "://" + host
	if stage != "" && IsExecuteAPIHost(host) {
		base += "/" + stage
	}
	return base
}

// IsExecuteAPIHost reports whether host (optionally with a port) is an API
// Gateway default endpoint, whose paths start with the stage.
func IsExecuteAPIHost(host string) bool {
	name := strings.ToLower(host)
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i:], "]") {
		name = name[:i]
	}
	return strings.Contains(name, ".execute-api.") &&
		(strings.HasSuffix(name, ".amazonaws.com") || strings.HasSuffix(name, ".amazonaws.com.cn"))
}

// validHost accepts a DNS name or IP literal with an optional port: the
// href is echoed to backends, so a Host header with a path, credentials or
// spaces is not.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
