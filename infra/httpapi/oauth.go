package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// The OAuth 2.0 endpoints (family "oauth", one Lambda function):
//
//	ANY /oauth/token                               client_credentials grant (RFC 6749 §4.4), public
//	ANY /v1/applications/{applicationId}/oauth/token  the same, for one application's keys only, public
//	ANY /oauth/revoke                              RFC 7009, public, client authenticates with Basic
//	ANY /oauth/introspect                          RFC 7662, behind the authorizer, admin keys only
//	GET /.well-known/jwks.json                     the public signing keys (RFC 7517)
//	GET /openapi.json                              the OpenAPI document of the whole API, public
//
// The POST endpoints are declared for ANY method so that every other
// method reaches the function and gets an RFC-style 405, on AWS too (API
// Gateway would otherwise answer its own 404). They answer in RFC 6749
// §5.2's format, through writeOAuthError, never the management API's.

// JWKSFunc returns the current JWK Set document.
type JWKSFunc func(ctx context.Context) ([]byte, error)

// JWKSMaxAge is how long clients and caches may keep the JWKS. A new key
// is published well before it signs (see infra/tokens), so a cached copy
// never misses a kid for long.
const JWKSMaxAge = 300

// errNotConfigured is a wiring bug: the oauth family without its token
// service.
var errNotConfigured = errors.New("httpapi: oauth family used without Tokens/JWKS")

func (a *API) oauthRoutes(rt *Router) {
	rt.Handle("ANY", "/oauth/token", a.oauth(a.token))
	rt.Handle("ANY", "/v1/applications/{applicationId}/oauth/token", a.oauth(a.token))
	rt.Handle("ANY", "/oauth/revoke", a.oauth(a.revoke))
	rt.Handle("ANY", "/oauth/introspect", a.oauth(a.introspect))
	rt.Handle("GET", "/.well-known/jwks.json", a.jwks)
	// Not OAuth, but the same authentication as the authorizer, for
	// backends outside API Gateway; a management call (admin keys), so
	// it answers in the management API's format.
	rt.Handle("POST", "/v1/applications/{applicationId}/authenticate", a.do(a.authenticate))
	// The OpenAPI document (openapi.go): public, like the JWKS, so this
	// function, the one with public routes, serves it.
	rt.Handle("GET", "/openapi.json", serveOpenAPI)
}

// oauth adapts an OAuth handler: request id, POST only, and any error to
// writeOAuthError.
func (a *API) oauth(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = withRequestID(r)
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeOAuthError(w, r, errMethod)
			return
		}
		if a.Tokens == nil {
			writeOAuthError(w, r, errNotConfigured)
			return
		}
		if err := h(w, r); err != nil {
			writeOAuthError(w, r, err)
		}
	}
}

var errMethod = &domain.OAuthError{Code: domain.OAuthInvalidRequest, Description: "Only POST is allowed here."}

// OAuthErrorBody is RFC 6749 §5.2's error response.
type OAuthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError is the single place where errors of the OAuth endpoints
// become HTTP. An *domain.OAuthError is shown as it is; a refusal of the
// domain becomes the nearest OAuth code; anything else is a server_error
// (500) or temporarily_unavailable (503) whose cause is only logged.
func writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := describeOAuth(err)
	if err == errMethod {
		status = http.StatusMethodNotAllowed
	}
	if status >= 500 {
		slog.ErrorContext(r.Context(), "oauth request failed", "requestId", requestID(r), "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var oe *domain.OAuthError
	if errors.As(err, &oe) && oe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((oe.RetryAfter+time.Second-1)/time.Second)))
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="keystorm"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeOAuthJSON(w, status, body)
}

// describeOAuth maps an error to its status and body.
func describeOAuth(err error) (int, OAuthErrorBody) {
	var oe *domain.OAuthError
	if errors.As(err, &oe) {
		status := http.StatusBadRequest
		switch {
		case oe.RetryAfter > 0:
			// A throttled source: told to come back later, not that its
			// credentials are wrong (they were not even checked).
			status = http.StatusTooManyRequests
		case oe.Code == domain.OAuthInvalidClient:
			status = http.StatusUnauthorized
		}
		return status, OAuthErrorBody{Error: oe.Code, Description: oe.Description}
	}
	var de *domain.Error
	if errors.As(err, &de) {
		switch de.Kind {
		case domain.KindUnauthorized:
			return http.StatusUnauthorized, OAuthErrorBody{Error: domain.OAuthInvalidClient, Description: "Client authentication failed."}
		case domain.KindForbidden:
			return http.StatusForbidden, OAuthErrorBody{Error: domain.OAuthUnauthorizedClient, Description: "Only an admin key of the tenant may use this endpoint."}
		case domain.KindInvalid, domain.KindTooLarge, domain.KindUnsupportedMedia:
			return http.StatusBadRequest, OAuthErrorBody{Error: domain.OAuthInvalidRequest, Description: de.Message}
		case domain.KindUnavailable:
			return http.StatusServiceUnavailable, OAuthErrorBody{Error: "temporarily_unavailable", Description: "The service is temporarily unavailable; retry."}
		}
	}
	return http.StatusInternalServerError, OAuthErrorBody{Error: "server_error", Description: "Something went wrong on our side."}
}

// writeOAuthJSON writes a token-endpoint JSON answer: never cached
// (RFC 6749 §5.1).
func writeOAuthJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func invalidRequest(desc string) error {
	return &domain.OAuthError{Code: domain.OAuthInvalidRequest, Description: desc}
}

// ParseForm reads an OAuth request body: application/x-www-form-urlencoded
// (any charset parameter, UTF-8 assumed), at most MaxBody bytes, each
// parameter at most once (RFC 6749 §3.2), empty values treated as absent.
// Every failure is an invalid_request *domain.OAuthError.
func ParseForm(contentType string, body io.Reader) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("The request body must be sent with Content-Type: application/x-www-form-urlencoded.")
	}
	b, err := io.ReadAll(io.LimitReader(body, MaxBody+1))
	if err != nil {
		return nil, invalidRequest("The request body could not be read.")
	}
	if len(b) > MaxBody {
		return nil, invalidRequest("The request body is too large.")
	}
	vals, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, invalidRequest("The request body is not valid form encoding.")
	}
	for k, vs := range vals {
		// Checked after percent-decoding, which can produce bad bytes
		// (%FF) from a valid ASCII body.
		if !validUTF8(k) || !validUTF8(vs[0]) {
			return nil, invalidRequest("The request body is not valid UTF-8.")
		}
		if len(vs) > 1 {
			return nil, invalidRequest("The parameter " + strconv.Quote(k) + " is repeated.")
		}
		if vs[0] == "" {
			delete(vals, k)
		}
	}
	return vals, nil
}

// clientCredentials reads HTTP Basic client authentication (RFC 6749
// §2.3.1: id and secret are form-encoded, then joined and base64ed). ok
// is false when the request has no Basic credentials at all.
func clientCredentials(r *http.Request) (id, secret string, ok bool, err error) {
	h := r.Header.Get("Authorization")
	scheme, rest, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if derr != nil {
		return "", "", true, &domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "The Basic credentials are malformed."}
	}
	u, p, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, &domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "The Basic credentials are malformed."}
	}
	// A pair that is already an id and a candidate secret is taken as
	// sent: a Stormpath secret holds + and /, which Stormpath's SDKs put
	// in Basic unencoded, and form-decoding would turn + into a space. No
	// candidate secret holds % or a space, and no key id holds % or +,
	// so no form-encoded pair is read this way by mistake.
	if domain.CandidateSecret(p) && !strings.ContainsAny(u, "%+") {
		return u, p, true, nil
	}
	if id, err = url.QueryUnescape(u); err == nil {
		secret, err = url.QueryUnescape(p)
	}
	if err != nil {
		return "", "", true, &domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "The Basic credentials are malformed."}
	}
	return id, secret, true, nil
}

// authenticatedForm reads the form and the client's credentials, which
// must be there (clientForm).
func authenticatedForm(r *http.Request) (url.Values, string, string, error) {
	form, id, secret, err := clientForm(r)
	if err == nil && id == "" && secret == "" {
		err = errClientRequired
	}
	return form, id, secret, err
}

var errClientRequired = &domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "Client authentication is required: HTTP Basic with the API key id and secret, or client_id and client_secret in the body."}

// clientForm reads the form and the client's credentials, if any: HTTP
// Basic (client_secret_basic), or client_id and client_secret in the
// body (client_secret_post, RFC 6749 §2.3.1, which the Stormpath SDKs'
// helpers send). Exactly one method per request: both at once is an
// invalid_request, as the RFC requires, rather than picking one. No
// credentials at all gives empty id and secret (a public client).
func clientForm(r *http.Request) (url.Values, string, string, error) {
	form, err := ParseForm(r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return nil, "", "", err
	}
	id, secret, basic, err := clientCredentials(r)
	if err != nil {
		return nil, "", "", err
	}
	switch {
	case basic && form.Has("client_secret"):
		return nil, "", "", invalidRequest("Use one client authentication method: HTTP Basic or client_id and client_secret in the body, not both.")
	case form.Has("client_secret"):
		if !form.Has("client_id") {
			return nil, "", "", invalidRequest("client_secret in the body needs client_id beside it.")
		}
		return form, form.Get("client_id"), form.Get("client_secret"), nil
	case !basic:
		// A public client may name itself with client_id alone (RFC
		// 6749 §2.3.1 is for clients with credentials): ignored.
		return form, "", "", nil
	}
	if cid := form.Get("client_id"); cid != "" && cid != id {
		return nil, "", "", invalidRequest("client_id does not match the authenticated client.")
	}
	if id == "" && secret == "" {
		return nil, "", "", &domain.OAuthError{Code: domain.OAuthInvalidClient, Description: "The Basic credentials are malformed."}
	}
	return form, id, secret, nil
}

// TokenResponse is RFC 6749 §5.1's answer. RefreshToken and
// RefreshTokenExpiresIn come with the password and refresh grants, and
// StormpathAccessTokenHref, as Stormpath answered, names the access
// token's resource (a session's tokens are resources; client
// credentials tokens are not).
type TokenResponse struct {
	AccessToken              string `json:"access_token"`
	TokenType                string `json:"token_type"`
	ExpiresIn                int    `json:"expires_in"`
	Scope                    string `json:"scope"`
	RefreshToken             string `json:"refresh_token,omitempty"`
	RefreshTokenExpiresIn    int    `json:"refresh_token_expires_in,omitempty"`
	StormpathAccessTokenHref string `json:"stormpath_access_token_href,omitempty"`
}

func (a *API) token(w http.ResponseWriter, r *http.Request) error {
	form, id, secret, err := clientForm(r)
	if err != nil {
		return err
	}
	gt := form.Get("grant_type")
	switch gt {
	case "":
		return invalidRequest("grant_type is required.")
	case "client_credentials":
		if id == "" && secret == "" {
			return errClientRequired
		}
		iss, err := a.Tokens.Issue(r.Context(), domain.TokenRequest{
			KeyID: id, Secret: secret, Scope: form.Get("scope"),
			ApplicationID: param(r, "applicationId"), BaseURL: baseURL(r), Source: sourceAddr(r),
		})
		if err != nil {
			return err
		}
		writeOAuthJSON(w, http.StatusOK, TokenResponse{AccessToken: iss.Signed, TokenType: "bearer", ExpiresIn: iss.ExpiresIn, Scope: iss.Token.Scope()})
		return nil
	case "password":
		st, err := a.Tokens.PasswordGrant(r.Context(), domain.PasswordRequest{
			ApplicationID: param(r, "applicationId"), Username: form.Get("username"), Password: form.Get("password"),
			Scope: form.Get("scope"), ClientID: id, ClientSecret: secret, BaseURL: baseURL(r), Source: sourceAddr(r),
		})
		if err != nil {
			return err
		}
		return a.sessionTokens(w, r, st)
	case "refresh_token":
		st, err := a.Tokens.RefreshGrant(r.Context(), domain.RefreshRequest{
			ApplicationID: param(r, "applicationId"), RefreshToken: form.Get("refresh_token"),
			Scope: form.Get("scope"), ClientID: id, ClientSecret: secret, BaseURL: baseURL(r), Source: sourceAddr(r),
		})
		if err != nil {
			return err
		}
		return a.sessionTokens(w, r, st)
	default:
		return &domain.OAuthError{Code: domain.OAuthUnsupportedGrantType, Description: "grant_type must be client_credentials, password or refresh_token."}
	}
}

func (a *API) sessionTokens(w http.ResponseWriter, r *http.Request, st domain.SessionTokens) error {
	writeOAuthJSON(w, http.StatusOK, TokenResponse{
		AccessToken: st.Signed, TokenType: "bearer", ExpiresIn: st.ExpiresIn, Scope: st.Token.Scope(),
		RefreshToken: st.RefreshToken, RefreshTokenExpiresIn: st.RefreshExpiresIn,
		StormpathAccessTokenHref: hrefs(baseURL(r)).link("/v1/accessTokens/" + st.Token.JTI).Href,
	})
	return nil
}

// revoke implements RFC 7009: 200 whether or not the token was valid;
// token_type_hint is ignored (only access tokens exist).
func (a *API) revoke(w http.ResponseWriter, r *http.Request) error {
	form, id, secret, err := authenticatedForm(r)
	if err != nil {
		return err
	}
	tok := form.Get("token")
	if tok == "" {
		return invalidRequest("token is required.")
	}
	if err := a.Tokens.Revoke(r.Context(), id, secret, sourceAddr(r), tok); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	return nil
}

// IntrospectionResponse is RFC 7662 §2.2's answer; only Active is set for
// an inactive token.
type IntrospectionResponse struct {
	Active        bool   `json:"active"`
	Scope         string `json:"scope,omitempty"`
	ClientID      string `json:"client_id,omitempty"`
	TokenType     string `json:"token_type,omitempty"`
	Exp           int64  `json:"exp,omitempty"`
	Iat           int64  `json:"iat,omitempty"`
	Nbf           int64  `json:"nbf,omitempty"`
	Sub           string `json:"sub,omitempty"`
	Aud           string `json:"aud,omitempty"`
	Iss           string `json:"iss,omitempty"`
	JTI           string `json:"jti,omitempty"`
	TenantID      string `json:"tenant_id,omitempty"`
	ApplicationID string `json:"application_id,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
}

// introspect implements RFC 7662 for admin keys (Basic or Bearer, checked
// by the authorizer; the admin flag by the domain). A token of another
// tenant is inactive.
func (a *API) introspect(w http.ResponseWriter, r *http.Request) error {
	id, err := identity(r)
	if err != nil {
		return err
	}
	if !id.Admin {
		return domain.ErrForbidden // before the body: nothing here is a non-admin's
	}
	form, err := ParseForm(r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return err
	}
	tok := form.Get("token")
	if tok == "" {
		return invalidRequest("token is required.")
	}
	c := domain.Caller{TenantID: id.TenantID, AccountID: id.AccountID, KeyID: id.APIKeyID, Admin: id.Admin, RequestID: requestID(r)}
	in, err := a.Tokens.Introspect(r.Context(), c, tok)
	if err != nil {
		return err
	}
	out := IntrospectionResponse{Active: in.Active}
	if in.Active {
		t := in.Token
		out = IntrospectionResponse{Active: true, Scope: t.Scope(), ClientID: t.ClientID, TokenType: "Bearer",
			Exp: t.ExpiresAt.Unix(), Iat: t.IssuedAt.Unix(), Nbf: t.IssuedAt.Unix(), Sub: t.Subject, Aud: t.Audience,
			Iss: t.Issuer, JTI: t.JTI, TenantID: t.TenantID, ApplicationID: t.ApplicationID, AccountID: t.AccountID}
	}
	writeOAuthJSON(w, http.StatusOK, out)
	return nil
}

// jwks serves the JWK Set, cacheable for JWKSMaxAge.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	r = withRequestID(r)
	if a.JWKS == nil {
		writeOAuthError(w, r, errNotConfigured)
		return
	}
	b, err := a.JWKS(r.Context())
	if err != nil {
		writeOAuthError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(JWKSMaxAge))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// sourceAddr is the client's address for the throttle: API Gateway's
// sourceIp, which the proxy adapter puts in RemoteAddr (the local gateway
// does the same). A port, if any, is dropped, so one client is one source.
func sourceAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
