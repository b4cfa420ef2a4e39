package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/authctx"
)

// ErrUnsupportedEvent is returned by Invoke for a payload that is none of
// the flavours it knows. The Lambda then fails, and API Gateway answers
// 500: a denial, and a visible misconfiguration.
var ErrUnsupportedEvent = errors.New("authorizer: unsupported event: want a REST API TOKEN or REQUEST event, or an HTTP API payload 2.0 event")

// Invoke implements lambda.Handler: one entry point for every API Gateway
// flavour. It looks at the event's version and type:
//
//   - version "2.0", type "REQUEST": an HTTP API (payload 2.0) event,
//     answered with HandleHTTPAPISimple or HandleHTTPAPIIAM as
//     HTTPAPIResponse says (the event does not say which the authorizer is
//     configured for);
//   - type "TOKEN": a REST API TOKEN event, HandleToken;
//   - type "REQUEST" without a version: a REST API REQUEST event,
//     HandleRequest.
//
// Anything else, including HTTP API payload 1.0, is ErrUnsupportedEvent.
// Errors from the flavour handlers are returned as they are, so
// ErrUnauthorized reaches the runtime as the errorMessage "Unauthorized".
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var probe struct {
		Version string `json:"version"`
		Type    string `json:"type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		h.logger().ErrorContext(ctx, "authorizer could not read its event; denying", "err", err)
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedEvent, err)
	}
	var resp any
	var err error
	switch {
	case probe.Version == "2.0" && probe.Type == "REQUEST":
		var req events.APIGatewayV2CustomAuthorizerV2Request
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, h.unsupported(ctx, probe.Version, probe.Type, err)
		}
		if h.HTTPAPIResponse == HTTPAPIIAM {
			resp, err = h.HandleHTTPAPIIAM(ctx, req)
		} else {
			resp, err = h.HandleHTTPAPISimple(ctx, req)
		}
	case probe.Version == "" && probe.Type == "TOKEN":
		var req events.APIGatewayCustomAuthorizerRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, h.unsupported(ctx, probe.Version, probe.Type, err)
		}
		resp, err = h.HandleToken(ctx, req)
	case probe.Version == "" && probe.Type == "REQUEST":
		var req events.APIGatewayCustomAuthorizerRequestTypeRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, h.unsupported(ctx, probe.Version, probe.Type, err)
		}
		resp, err = h.HandleRequest(ctx, req)
	default:
		return nil, h.unsupported(ctx, probe.Version, probe.Type, nil)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

func (h *Handler) unsupported(ctx context.Context, version, typ string, err error) error {
	h.logger().ErrorContext(ctx, "authorizer got an event it does not support; denying", "version", version, "type", typ, "err", err)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnsupportedEvent, err)
	}
	return fmt.Errorf("%w (version %q, type %q)", ErrUnsupportedEvent, version, typ)
}

// HandleToken answers a REST API TOKEN authorizer invocation, whose event
// holds only the Authorization header value and the methodArn.
//
// API Gateway caches a TOKEN authorizer's answer under the token alone and
// reuses it for every method and resource of the API's stage. A policy
// scoped to the one methodArn would then answer 403 for the same good
// token on the next route, until the cache expires. The decision, though,
// does not depend on the route: Basic and Bearer both say who the caller
// is, never which route they may call (routes and ids are the functions'
// job, and scopes travel in the context). So the Allow covers exactly what
// the decision covers: the whole stage, StageResource(methodArn). It
// never covers another API or stage.
//
// What TOKEN events cannot carry is the stage variables, so the
// management API rule (developer credentials are denied there) cannot be
// applied: the management API must use a REQUEST authorizer (it does in
// template.yaml), and TOKEN authorizers belong on APIs that developers may
// call.
//
// Denials: ErrUnauthorized (401) for missing or bad credentials; an
// explicit Deny on the methodArn (403) when the decision could not be made.
func (h *Handler) HandleToken(ctx context.Context, req events.APIGatewayCustomAuthorizerRequest) (resp events.APIGatewayCustomAuthorizerResponse, err error) {
	ev := event{flavour: "TOKEN", arn: req.MethodArn, header: req.AuthorizationToken, headerOK: req.AuthorizationToken != ""}
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
	resource, err := StageResource(req.MethodArn)
	if err != nil {
		h.fail(ctx, ev, err)
		return deny(req.MethodArn), nil
	}
	base := h.BaseURL
	if base == "" {
		host, stage := defaultEndpoint(req.MethodArn)
		base = RequestBaseURL("https", host, stage)
	}
	href := base + "/v1/accounts/" + d.Principal.AccountID
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID:        href,
		PolicyDocument:     policy("Allow", resource),
		Context:            d.Identity(href).Map(),
		UsageIdentifierKey: d.UsageIdentifierKey(),
	}, nil
}

// HandleHTTPAPISimple answers an HTTP API (payload 2.0) event with the
// simple response: isAuthorized with the authctx context, or isAuthorized
// false (403) for every denial, including a decision that could not be
// made. Missing or bad credentials are not told apart from other denials:
// the simple format has no 401 (API Gateway itself answers 401 when the
// identity source is missing).
//
// An HTTP API caches the answer under the authorizer's identity sources,
// for every route. The answer does not depend on the route (see
// HandleToken), and the management API rule reads the stage variables,
// which are fixed per stage.
func (h *Handler) HandleHTTPAPISimple(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (resp events.APIGatewayV2CustomAuthorizerSimpleResponse, err error) {
	ev := v2Event(req)
	defer func() {
		if p := recover(); p != nil {
			h.recovered(ctx, ev, p)
			resp, err = events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
		}
	}()
	d, v := h.authorize(ctx, ev)
	if v != allowed {
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: false}, nil
	}
	href := h.v2BaseURL(req) + "/v1/accounts/" + d.Principal.AccountID
	ctxMap := d.Identity(href).Map()
	// The simple format has no principalId field; the context carries it.
	ctxMap[authctx.KeyPrincipalID] = href
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{IsAuthorized: true, Context: ctxMap}, nil
}

// HandleHTTPAPIIAM answers an HTTP API (payload 2.0) event with an IAM
// policy. The Allow covers the stage (StageResource of the routeArn), for
// the reason given at HandleToken: HTTP APIs cache the policy under the
// identity sources and reuse it across routes, and the decision does not
// depend on the route. Denials: ErrUnauthorized (401) for missing or bad
// credentials; an explicit Deny on the routeArn (403) when the decision
// could not be made or a developer credential is used on the management
// API.
func (h *Handler) HandleHTTPAPIIAM(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (resp events.APIGatewayV2CustomAuthorizerIAMPolicyResponse, err error) {
	ev := v2Event(req)
	denyV2 := func() events.APIGatewayV2CustomAuthorizerIAMPolicyResponse {
		return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{PrincipalID: denyPrincipal, PolicyDocument: policy("Deny", req.RouteArn)}
	}
	defer func() {
		if p := recover(); p != nil {
			h.recovered(ctx, ev, p)
			resp, err = denyV2(), nil
		}
	}()
	d, v := h.authorize(ctx, ev)
	switch v {
	case unauthorized:
		return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{}, ErrUnauthorized
	case denied:
		return denyV2(), nil
	}
	resource, err := StageResource(req.RouteArn)
	if err != nil {
		h.fail(ctx, ev, err)
		return denyV2(), nil
	}
	href := h.v2BaseURL(req) + "/v1/accounts/" + d.Principal.AccountID
	return events.APIGatewayV2CustomAuthorizerIAMPolicyResponse{
		PrincipalID:    href,
		PolicyDocument: policy("Allow", resource),
		Context:        d.Identity(href).Map(),
	}, nil
}

func v2Event(req events.APIGatewayV2CustomAuthorizerV2Request) event {
	auth, ok := singleV2Header(req.Headers, "authorization")
	return event{flavour: "HTTPAPI", requestID: req.RequestContext.RequestID, arn: req.RouteArn, header: auth, headerOK: ok, source: req.RequestContext.HTTP.SourceIP,
		stageVars: req.StageVariables, attrs: [2]slog.Attr{slog.String("routeKey", req.RouteKey)}}
}

// singleV2Header looks a header up case-insensitively. Payload 2.0 joins
// repeated headers with commas, which no valid credential contains, so
// the parser refuses them; two keys that differ only in case count as
// ambiguous.
func singleV2Header(headers map[string]string, name string) (string, bool) {
	val, n := "", 0
	for k, v := range headers {
		if strings.EqualFold(k, name) {
			if n == 0 || v != val {
				val = v
				n++
			}
		}
	}
	return val, n == 1
}

func (h *Handler) v2BaseURL(req events.APIGatewayV2CustomAuthorizerV2Request) string {
	if h.BaseURL != "" {
		return h.BaseURL
	}
	// The domain name API Gateway sets, never the client's Host or
	// X-Forwarded-Proto headers (see baseURL).
	host := req.RequestContext.DomainName
	apiHost, stage := defaultEndpoint(req.RouteArn)
	if !validHost(host) {
		host = apiHost
	}
	if req.RequestContext.Stage != "" {
		stage = req.RequestContext.Stage
	}
	// The $default stage is served at the root of the API's endpoint.
	if stage == "$default" {
		stage = ""
	}
	return RequestBaseURL("https", host, stage)
}

// defaultEndpoint is the API's execute-api host and the stage named by a
// methodArn or routeArn, or empty strings when it is not one.
func defaultEndpoint(arn string) (host, stage string) {
	a, err := parseMethodArn(arn)
	if err != nil {
		return "", ""
	}
	return a.apiID + ".execute-api." + a.region + ".amazonaws.com", a.stage
}

// StageResource is the Resource of an Allow that covers every method and
// path of one API stage: the methodArn's or routeArn's
// "arn:...:{apiId}/{stage}/" prefix followed by "*/*".
//
//	methodArn  arn:aws:execute-api:us-east-1:1234:abc/prod/GET/troopers/tk421/equipment
//	result     arn:aws:execute-api:us-east-1:1234:abc/prod/*/*
//
// It is for authorizers whose answer API Gateway reuses across routes
// (TOKEN, HTTP API) and whose decision does not depend on the route.
// Errors: ErrBadMethodArn.
func StageResource(arn string) (string, error) {
	a, err := parseMethodArn(arn)
	if err != nil {
		return "", err
	}
	if strings.Contains(a.prefix, "*") {
		return "", ErrBadMethodArn
	}
	return a.prefix + "*/*", nil
}
