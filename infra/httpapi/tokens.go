package httpapi

import (
	"net/http"

	"github.com/keystorm/keystorm/domain"
)

// --- accessTokens and refreshTokens of accounts (served by the accounts
// family): the sessions of the password grant and the tokens they gave.
// Unlike Stormpath's, the resources carry no jwt: the signed token and
// the refresh token are bearer credentials, shown once in the token
// response and never stored.

// AccessTokenResource is the JSON of a session's access token.
type AccessTokenResource struct {
	Href         string `json:"href"`
	ID           string `json:"id"`
	CreatedAt    string `json:"createdAt"`
	ExpiresAt    string `json:"expiresAt"`
	Scope        string `json:"scope"`
	Account      Link   `json:"account"`
	Application  Link   `json:"application"`
	RefreshToken Link   `json:"refreshToken"`
	Tenant       Link   `json:"tenant"`
}

// RefreshTokenResource is the JSON of a session. modifiedAt is its last
// refresh; rotations counts them.
type RefreshTokenResource struct {
	Href        string `json:"href"`
	ID          string `json:"id"`
	CreatedAt   string `json:"createdAt"`
	ModifiedAt  string `json:"modifiedAt"`
	ExpiresAt   string `json:"expiresAt"`
	Scope       string `json:"scope"`
	Rotations   int    `json:"rotations"`
	Account     Link   `json:"account"`
	Application Link   `json:"application"`
	Tenant      Link   `json:"tenant"`
}

func (b hrefs) accessToken(t *domain.IssuedToken) AccessTokenResource {
	return AccessTokenResource{Href: string(b) + "/v1/accessTokens/" + t.ID, ID: t.ID, CreatedAt: ts(t.CreatedAt), ExpiresAt: ts(t.ExpiresAt),
		Scope: t.Scope(), Account: b.link("/v1/accounts/" + t.AccountID), Application: b.link("/v1/applications/" + t.ApplicationID),
		RefreshToken: b.link("/v1/refreshTokens/" + t.RefreshTokenID), Tenant: b.link("/v1/tenants/" + t.Tenant)}
}

func (b hrefs) refreshToken(t *domain.RefreshToken) RefreshTokenResource {
	return RefreshTokenResource{Href: string(b) + "/v1/refreshTokens/" + t.ID, ID: t.ID, CreatedAt: ts(t.CreatedAt), ModifiedAt: ts(t.ModifiedAt),
		ExpiresAt: ts(t.ExpiresAt), Scope: t.Scope(), Rotations: t.Rotations, Account: b.link("/v1/accounts/" + t.AccountID),
		Application: b.link("/v1/applications/" + t.ApplicationID), Tenant: b.link("/v1/tenants/" + t.Tenant)}
}

func (a *API) tokenRoutes(rt *Router) {
	rt.Handle("GET", "/v1/accounts/{accountId}/accessTokens", a.do(a.listAccessTokens))
	rt.Handle("GET", "/v1/accounts/{accountId}/refreshTokens", a.do(a.listRefreshTokens))
	rt.Handle("GET", "/v1/accessTokens/{accessTokenId}", a.do(a.getAccessToken))
	rt.Handle("DELETE", "/v1/accessTokens/{accessTokenId}", a.do(a.deleteAccessToken))
	rt.Handle("GET", "/v1/refreshTokens/{refreshTokenId}", a.do(a.getRefreshToken))
	rt.Handle("DELETE", "/v1/refreshTokens/{refreshTokenId}", a.do(a.deleteRefreshToken))
}

func (a *API) listAccessTokens(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.IssuedToken], error) {
		return a.Svc.ListAccessTokens(r.Context(), r.c, param(r.Request, "accountId"), p)
	}, r.base.accessToken)
}

func (a *API) listRefreshTokens(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.RefreshToken], error) {
		return a.Svc.ListRefreshTokens(r.Context(), r.c, param(r.Request, "accountId"), p)
	}, r.base.refreshToken)
}

func (a *API) getAccessToken(w http.ResponseWriter, r req) error {
	t, err := a.Svc.GetAccessToken(r.Context(), r.c, param(r.Request, "accessTokenId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.accessToken(t))
}

func (a *API) getRefreshToken(w http.ResponseWriter, r req) error {
	t, err := a.Svc.GetRefreshToken(r.Context(), r.c, param(r.Request, "refreshTokenId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.refreshToken(t))
}

func (a *API) deleteAccessToken(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteAccessToken(r.Context(), r.c, param(r.Request, "accessTokenId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) deleteRefreshToken(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteRefreshToken(r.Context(), r.c, param(r.Request, "refreshTokenId")); err != nil {
		return err
	}
	return noContent(w)
}
