package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// --- tenants

func (a *API) currentTenant(w http.ResponseWriter, r req) error {
	if r.c.Session != "" {
		return domain.ErrNotFound // a session reads its account and keys only
	}
	w.Header().Set("Location", string(r.base)+"/v1/tenants/"+r.c.TenantID)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
	return nil
}

func (a *API) getTenant(w http.ResponseWriter, r req) error {
	exps, err := expansionsFor(r, domain.KindTenant)
	if err != nil {
		return err
	}
	t, err := a.Svc.GetTenant(r.Context(), r.c, param(r.Request, "tenantId"))
	if err != nil {
		return err
	}
	out, err := a.expanded(r, t, r.base.tenant(t), exps)
	if err != nil {
		return err
	}
	return ok(w, out)
}

// --- applications

// named reads the name, description and status that applications,
// groups and API keys share.
func named(body []byte, typ any) (f *fields, name, description, status *string, err error) {
	props, err := object(body)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	f = bodyFields(props, typ)
	if name, err = f.str("name"); err != nil {
		return
	}
	if description, err = f.str("description"); err != nil {
		return
	}
	status, err = f.str("status")
	return
}

func applicationInput(body []byte) (domain.ApplicationInput, error) {
	f, name, desc, st, err := named(body, ApplicationBody{})
	if err != nil {
		return domain.ApplicationInput{}, err
	}
	cd, err := f.customData()
	if err != nil {
		return domain.ApplicationInput{}, err
	}
	rl, err := f.rateLimit("rateLimit")
	if err != nil {
		return domain.ApplicationInput{}, err
	}
	return domain.ApplicationInput{Name: name, Description: desc, Status: st, CustomData: cd, RateLimit: rl}, f.rest()
}

func (a *API) createApplication(w http.ResponseWriter, r req) error {
	in, err := applicationInput(r.body)
	if err != nil {
		return err
	}
	app, err := a.Svc.CreateApplication(r.Context(), r.c, in)
	if err != nil {
		return err
	}
	out := r.base.application(app)
	return created(w, out.Href, out)
}

func (a *API) listApplications(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Application], error) {
		return a.Svc.ListApplications(r.Context(), r.c, p)
	}, r.base.application)
}

func (a *API) getApplication(w http.ResponseWriter, r req) error {
	exps, err := expansionsFor(r, domain.KindApplication)
	if err != nil {
		return err
	}
	app, err := a.Svc.GetApplication(r.Context(), r.c, param(r.Request, "applicationId"))
	if err != nil {
		return err
	}
	out, err := a.expanded(r, app, r.base.application(app), exps)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) updateApplication(w http.ResponseWriter, r req) error {
	in, err := applicationInput(r.body)
	if err != nil {
		return err
	}
	app, err := a.Svc.UpdateApplication(r.Context(), r.c, param(r.Request, "applicationId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.application(app))
}

func (a *API) deleteApplication(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteApplication(r.Context(), r.c, param(r.Request, "applicationId")); err != nil {
		return err
	}
	return noContent(w)
}

// --- accounts

func accountInput(body []byte) (domain.AccountInput, error) {
	props, err := object(body)
	if err != nil {
		return domain.AccountInput{}, err
	}
	f := bodyFields(props, AccountBody{})
	var in domain.AccountInput
	for name, dst := range map[string]**string{"username": &in.Username, "email": &in.Email, "givenName": &in.GivenName,
		"middleName": &in.MiddleName, "surname": &in.Surname, "password": &in.Password, "status": &in.Status} {
		if *dst, err = f.str(name); err != nil {
			return in, err
		}
	}
	if in.CustomData, err = f.customData(); err != nil {
		return in, err
	}
	return in, f.rest("fullName", "emailVerificationToken", "emailVerificationStatus", "application")
}

// isLinkOnly reports {"href": ...} with nothing else: a link, not data.
func isLinkOnly(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, has := m["href"]
	return has && len(m) == 1
}

// customDataObject reads customData fields, dropping the resource's own
// read-only properties that SDKs send back on save.
func customDataObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, "customData", "customData must be a JSON object.")
	}
	for _, k := range []string{"href", "createdAt", "modifiedAt", "meta", "spMeta", "spmeta", "ionmeta", "ionMeta"} {
		delete(m, k)
	}
	return m, nil
}

func (a *API) createAccount(w http.ResponseWriter, r req) error {
	return newAccount(w, r, a.Svc.CreateAccount, "applicationId")
}

// newAccount creates an account with create in the store named by the
// path parameter idParam (an application's default store, or a
// directory).
func newAccount(w http.ResponseWriter, r req, create func(context.Context, domain.Caller, string, domain.AccountInput) (*domain.Account, error), idParam string) error {
	in, err := accountInput(r.body)
	if err != nil {
		return err
	}
	// Stormpath's query parameter: password is an imported hash.
	in.PasswordFormat = r.URL.Query().Get("passwordFormat")
	acc, err := create(r.Context(), r.c, param(r.Request, idParam), in)
	if err != nil {
		return err
	}
	out := r.base.account(acc)
	return created(w, out.Href, out)
}

func (a *API) listAccounts(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Account], error) {
		return a.Svc.ListAccounts(r.Context(), r.c, param(r.Request, "applicationId"), p)
	}, r.base.account)
}

func (a *API) getAccount(w http.ResponseWriter, r req) error {
	if r.URL.Query().Has("at") {
		return a.accountAt(w, r)
	}
	exps, err := expansionsFor(r, domain.KindAccount)
	if err != nil {
		return err
	}
	acc, err := a.Svc.GetAccount(r.Context(), r.c, param(r.Request, "accountId"))
	if err != nil {
		return err
	}
	out, err := a.expanded(r, acc, r.base.account(acc), exps)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) updateAccount(w http.ResponseWriter, r req) error {
	in, err := accountInput(r.body)
	if err != nil {
		return err
	}
	// Stormpath's query parameter: password is an imported hash.
	in.PasswordFormat = r.URL.Query().Get("passwordFormat")
	acc, err := a.Svc.UpdateAccount(r.Context(), r.c, param(r.Request, "accountId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.account(acc))
}

func (a *API) deleteAccount(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteAccount(r.Context(), r.c, param(r.Request, "accountId")); err != nil {
		return err
	}
	return noContent(w)
}

// --- customData, one set of handlers for every kind that has it

// customDataRoutes registers the customData routes of a kind whose
// resources live at resourcePaths[kind]/{idParam}.
func (a *API) customDataRoutes(rt *Router, kind, idParam string) {
	p := resourcePaths[kind] + "{" + idParam + "}/customData"
	owner := func(r req) domain.Ref { return domain.Ref{Kind: kind, ID: param(r.Request, idParam)} }
	rt.Handle("GET", p, a.do(func(w http.ResponseWriter, r req) error {
		cd, err := a.Svc.GetCustomData(r.Context(), r.c, owner(r))
		if err != nil {
			return err
		}
		return ok(w, r.base.customData(cd))
	}))
	rt.Handle("POST", p, a.doCustom(func(w http.ResponseWriter, r req) error {
		raw := json.RawMessage(r.body)
		if r.body == nil {
			raw = json.RawMessage(`{}`)
		} else if _, err := object(r.body); err != nil {
			return err
		}
		set, err := customDataObject(raw)
		if err != nil {
			return err
		}
		cd, err := a.Svc.UpdateCustomData(r.Context(), r.c, owner(r), set)
		if err != nil {
			return err
		}
		return ok(w, r.base.customData(cd))
	}))
	rt.Handle("DELETE", p, a.do(func(w http.ResponseWriter, r req) error {
		if err := a.Svc.DeleteCustomData(r.Context(), r.c, owner(r)); err != nil {
			return err
		}
		return noContent(w)
	}))
	rt.Handle("DELETE", p+"/{field}", a.do(func(w http.ResponseWriter, r req) error {
		if err := a.Svc.DeleteCustomDataField(r.Context(), r.c, owner(r), param(r.Request, "field")); err != nil {
			return err
		}
		return noContent(w)
	}))
}

// --- groups and memberships

func groupInput(body []byte) (domain.GroupInput, error) {
	f, name, desc, st, err := named(body, NamedBody{})
	if err != nil {
		return domain.GroupInput{}, err
	}
	cd, err := f.customData()
	if err != nil {
		return domain.GroupInput{}, err
	}
	return domain.GroupInput{Name: name, Description: desc, Status: st, CustomData: cd}, f.rest("application")
}

func (a *API) createGroup(w http.ResponseWriter, r req) error {
	return newGroup(w, r, a.Svc.CreateGroup, "applicationId")
}

// newGroup creates a group with create, as newAccount an account.
func newGroup(w http.ResponseWriter, r req, create func(context.Context, domain.Caller, string, domain.GroupInput) (*domain.Group, error), idParam string) error {
	in, err := groupInput(r.body)
	if err != nil {
		return err
	}
	g, err := create(r.Context(), r.c, param(r.Request, idParam), in)
	if err != nil {
		return err
	}
	out := r.base.group(g)
	return created(w, out.Href, out)
}

func (a *API) listGroups(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Group], error) {
		return a.Svc.ListGroups(r.Context(), r.c, param(r.Request, "applicationId"), p)
	}, r.base.group)
}

func (a *API) getGroup(w http.ResponseWriter, r req) error {
	exps, err := expansionsFor(r, domain.KindGroup)
	if err != nil {
		return err
	}
	g, err := a.Svc.GetGroup(r.Context(), r.c, param(r.Request, "groupId"))
	if err != nil {
		return err
	}
	out, err := a.expanded(r, g, r.base.group(g), exps)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) updateGroup(w http.ResponseWriter, r req) error {
	in, err := groupInput(r.body)
	if err != nil {
		return err
	}
	g, err := a.Svc.UpdateGroup(r.Context(), r.c, param(r.Request, "groupId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.group(g))
}

func (a *API) deleteGroup(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteGroup(r.Context(), r.c, param(r.Request, "groupId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) listGroupAccounts(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Account], error) {
		return a.Svc.ListGroupAccounts(r.Context(), r.c, param(r.Request, "groupId"), p)
	}, r.base.account)
}

func (a *API) listGroupMemberships(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Membership], error) {
		return a.Svc.ListGroupMemberships(r.Context(), r.c, param(r.Request, "groupId"), p)
	}, r.base.membership)
}

func (a *API) listAccountGroups(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Group], error) {
		return a.Svc.ListAccountGroups(r.Context(), r.c, param(r.Request, "accountId"), p)
	}, r.base.group)
}

func (a *API) listAccountMemberships(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Membership], error) {
		return a.Svc.ListAccountMemberships(r.Context(), r.c, param(r.Request, "accountId"), p)
	}, r.base.membership)
}

// lastSegment returns the id at the end of an href of the expected kind,
// e.g. ("…/v1/accounts/abc", "accounts") → "abc".
func lastSegment(href, collection string) (string, bool) {
	i := strings.Index(href, "/v1/"+collection+"/")
	if i < 0 {
		return "", false
	}
	id := href[i+len("/v1/"+collection+"/"):]
	if id == "" || strings.ContainsAny(id, "/?#") {
		return "", false
	}
	return id, true
}

func (a *API) createMembership(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, MembershipBody{})
	ref := func(name, coll string) (string, error) {
		raw, ok, err := f.read(name)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", domain.E(domain.KindInvalid, domain.CodeRequired, name, "%s is required, as {\"href\": ...}.", name)
		}
		var l Link
		if err := json.Unmarshal(raw, &l); err != nil || l.Href == "" {
			return "", domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be an object with an href.", name)
		}
		id, ok := lastSegment(l.Href, coll)
		if !ok {
			return "", domain.E(domain.KindInvalid, domain.CodeInvalidValue, name, "%s.href must be the href of a %s resource.", name, strings.TrimSuffix(coll, "s"))
		}
		return id, nil
	}
	accountID, err := ref("account", "accounts")
	if err != nil {
		return err
	}
	groupID, err := ref("group", "groups")
	if err != nil {
		return err
	}
	if err := f.rest(); err != nil {
		return err
	}
	m, err := a.Svc.CreateMembership(r.Context(), r.c, accountID, groupID)
	if err != nil {
		return err
	}
	out := r.base.membership(m)
	return created(w, out.Href, out)
}

func (a *API) getMembership(w http.ResponseWriter, r req) error {
	exps, err := expansionsFor(r, domain.KindMembership)
	if err != nil {
		return err
	}
	m, err := a.Svc.GetMembership(r.Context(), r.c, param(r.Request, "groupMembershipId"))
	if err != nil {
		return err
	}
	out, err := a.expanded(r, m, r.base.membership(m), exps)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) deleteMembership(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteMembership(r.Context(), r.c, param(r.Request, "groupMembershipId")); err != nil {
		return err
	}
	return noContent(w)
}

// listed serves one page of a collection: the page from the query, the
// service's list, and each item rendered.
func listed[T domain.State, R any](a *API, w http.ResponseWriter, r req, fetch func(domain.Page) (domain.List[T], error), render func(T) R) error {
	kind := kindOf[T]()
	p, err := page(r.Request, kind)
	if err != nil {
		return err
	}
	exps, err := expansionsFor(r, kind)
	if err != nil {
		return err
	}
	if len(exps) > 0 && p.Limit > maxExpandedItems {
		// Each item's expansions are reads of their own: bound them.
		return domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "limit", "With expand, limit may be at most %d.", maxExpandedItems)
	}
	l, err := fetch(p)
	if err != nil {
		return err
	}
	c := collection(r.Request, l, render)
	for i, it := range l.Items {
		if c.Items[i], err = a.expanded(r, it, c.Items[i], exps); err != nil {
			return err
		}
	}
	return ok(w, c)
}

// maxExpandedItems bounds a page whose items are expanded: at most this
// many items times maxExpansions reads.
const maxExpandedItems = 25

// kindOf names the kind of a collection's items, for the filters its
// query may carry.
func kindOf[T domain.State]() string {
	var zero T
	switch any(zero).(type) {
	case *domain.Account:
		return domain.KindAccount
	case *domain.Group:
		return domain.KindGroup
	case *domain.Directory:
		return domain.KindDirectory
	case *domain.Application:
		return domain.KindApplication
	case *domain.APIKey:
		return domain.KindAPIKey
	case *domain.Membership:
		return domain.KindMembership
	case *domain.IssuedToken:
		return domain.KindAccessToken
	case *domain.RefreshToken:
		return domain.KindRefreshToken
	}
	return ""
}
