package httpapi

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authorizer"
)

// AuthenticateRequest is the body of POST
// /v1/applications/{applicationId}/authenticate: what a provider's backend
// outside API Gateway received from its caller.
type AuthenticateRequest struct {
	// Authorization is the caller's Authorization header value.
	Authorization string `json:"authorization"`
	// Scope, optional, lists the scopes the call needs, space-delimited.
	Scope string `json:"scope,omitempty"`
	// ClientIP, optional, is the caller's address: with it, a caller that
	// keeps failing is throttled as at the authorizer. Without it nothing
	// is throttled, since counting the backend's own address would let
	// one bad client slow down all of them.
	ClientIP string `json:"clientIp,omitempty"`
}

// AuthenticateResponse is its answer, 200 either way. Reason never tells
// an unknown key id from a wrong secret, a disabled key or a key of
// another application: all are "invalid_credentials".
type AuthenticateResponse struct {
	Valid    bool   `json:"valid"`
	Reason   string `json:"reason,omitempty"`
	AuthType string `json:"authType,omitempty"`
	Account  *Link  `json:"account,omitempty"`
	APIKey   *Link  `json:"apiKey,omitempty"`
	// Scope is the token's granted scope (empty for Basic).
	Scope *string `json:"scope,omitempty"`
	// CacheTTLSeconds is how long the backend may reuse a valid answer:
	// the authorizer's own cache TTL, the bound within which a disabled
	// key stops working.
	CacheTTLSeconds *int `json:"cacheTtlSeconds,omitempty"`
}

// The reasons of an invalid answer.
const (
	ReasonInvalidCredentials = "invalid_credentials"
	ReasonInsufficientScope  = "insufficient_scope"
)

// maxAuthorization bounds the header value the endpoint accepts, as API
// Gateway bounds headers.
const maxAuthorization = 10 << 10

// authenticate makes the authorizer's decision for a backend outside API
// Gateway, through the same Decider: the application binding, a disabled
// application, key, account or token, expiry and the throttle.
func (a *API) authenticate(w http.ResponseWriter, r req) error {
	if a.Decider == nil {
		return errors.New("httpapi: authenticate needs a Decider")
	}
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, AuthenticateRequest{})
	var in AuthenticateRequest
	for _, p := range []struct {
		name string
		dst  *string
	}{{"authorization", &in.Authorization}, {"scope", &in.Scope}, {"clientIp", &in.ClientIP}} {
		v, err := f.str(p.name)
		if err != nil {
			return err
		}
		if v != nil {
			*p.dst = *v
		}
	}
	if err := f.rest(); err != nil {
		return err
	}
	switch {
	case in.Authorization == "":
		return domain.E(domain.KindInvalid, domain.CodeRequired, "authorization", "authorization is required: the caller's Authorization header value.")
	case len(in.Authorization) > maxAuthorization:
		return domain.E(domain.KindInvalid, domain.CodeTooLong, "authorization", "authorization must be at most %d bytes.", maxAuthorization)
	case in.ClientIP != "" && net.ParseIP(in.ClientIP) == nil:
		return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "clientIp", "clientIp must be an IPv4 or IPv6 address.")
	}
	need, err := domain.ParseScope(in.Scope)
	if err != nil {
		return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "scope", "scope must be space-delimited scope tokens.")
	}
	// The application must be the caller's: another tenant's is a 404.
	app, err := a.Svc.GetApplication(r.Context(), r.c, param(r.Request, "applicationId"))
	if err != nil {
		return err
	}
	d, err := a.Decider.Decide(r.Context(), in.Authorization, in.ClientIP, authorizer.Binding{Applications: []string{app.ID}})
	switch {
	case errors.Is(err, authorizer.ErrUnauthorized), errors.Is(err, authorizer.ErrForbidden):
		return ok(w, AuthenticateResponse{Reason: ReasonInvalidCredentials})
	case err != nil:
		return err
	}
	have := strings.Fields(d.Scope)
	for _, s := range need {
		if !slices.Contains(have, s) {
			return ok(w, AuthenticateResponse{Reason: ReasonInsufficientScope})
		}
	}
	ttl := int(max(a.AuthCacheTTL, 0) / time.Second)
	acc, key := r.base.link("/v1/accounts/"+d.Principal.AccountID), r.base.link("/v1/apiKeys/"+d.Principal.KeyID)
	return ok(w, AuthenticateResponse{Valid: true, AuthType: d.AuthType, Account: &acc, APIKey: &key, Scope: &d.Scope, CacheTTLSeconds: &ttl})
}
