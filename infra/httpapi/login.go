package httpapi

import (
	"net/http"
	"net/netip"

	"github.com/keystorm/keystorm/domain"
)

// LoginResult is the answer to a successful login attempt: Stormpath's
// authentication result. Account is a link, or the account rendered as
// GET /v1/accounts/{id} renders it when expand=account was asked for.
type LoginResult struct {
	Account any `json:"account"`
}

// loginAttempt serves POST /v1/applications/{applicationId}/loginAttempts:
// {"type":"basic","value":"<base64 of usernameOrEmail:password>"}, and an
// optional clientIp, the end user's address as the caller (the provider's
// login backend) saw it. Without clientIp the attempt's source is the
// address the request came from; a backend that relays many users' logins
// should send clientIp, or all of them share its one throttle budget.
// Stormpath SDKs send accountStore, a link: one application has one
// directory here, so it is ignored like every link.
func (a *API) loginAttempt(w http.ResponseWriter, r req) error {
	// expand is read first: a bad one must not cost a login attempt.
	exps, err := parseExpand(r.URL.Query().Get("expand"), loginAttemptKind)
	if err != nil {
		return err
	}
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, LoginAttemptBody{})
	var in domain.LoginAttempt
	// API Gateway's sourceIp is always an address; anything else (a test
	// harness's) counts as unknown rather than failing the request.
	if addr, err := netip.ParseAddr(sourceAddr(r.Request)); err == nil {
		in.Source = addr.String()
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"type", &in.Type}, {"value", &in.Value}, {"clientIp", &in.Source}} {
		v, err := f.str(p.name)
		if err != nil {
			return err
		}
		// An empty clientIp is no clientIp: it must not turn the
		// throttle off by making the source unknown.
		if v != nil && (*v != "" || p.name != "clientIp") {
			*p.dst = *v
		}
	}
	if err := f.rest(); err != nil {
		return err
	}
	acc, err := a.Svc.Login(r.Context(), r.c, param(r.Request, "applicationId"), in)
	if err != nil {
		return err
	}
	if len(exps) > 0 { // account is the one link a login result expands
		return ok(w, LoginResult{Account: r.base.account(acc)})
	}
	return ok(w, LoginResult{Account: r.base.link("/v1/accounts/" + acc.ID)})
}
