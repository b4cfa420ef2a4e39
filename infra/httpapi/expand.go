package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/keystorm/keystorm/domain"
)

// Stormpath's link expansion: expand=customData,groups(offset:0,limit:25)
// puts the linked resource (or a page of the linked collection) in place
// of its {"href"} link, one level deep, so a client reads an account and
// its groups in one request. Every expansion is read through the same
// service calls as the link's own endpoint, so it is authorized the same
// way: an expansion never shows what following the link would not.

// expansion is one expand term.
type expansion struct {
	name string
	// page is set for a collection link: its offset and limit options.
	page *domain.Page
}

// expandable names, per kind, the links that expand and whether each is
// a collection (which takes offset and limit options).
var expandable = map[string]map[string]bool{
	domain.KindTenant:      {"customData": false, "applications": true},
	domain.KindApplication: {"customData": false, "tenant": false, "accounts": true, "groups": true},
	domain.KindAccount: {"customData": false, "tenant": false, "application": false,
		"apiKeys": true, "groups": true, "groupMemberships": true},
	domain.KindGroup:      {"customData": false, "tenant": false, "application": false, "accounts": true, "accountMemberships": true},
	domain.KindMembership: {"account": false, "group": false},
	// A key's account is expanded by keyView (apikeys.go), which the
	// Stormpath SDKs ask for on every key read.
	domain.KindAPIKey: {"account": false},
	loginAttemptKind:  {"account": false},
}

// loginAttemptKind names a login attempt's result for expand: not a
// stored kind, but it links the account.
const loginAttemptKind = "loginAttempt"

// maxExpansions bounds the reads one request may cause per resource.
const maxExpansions = 6

// parseExpand reads the expand parameter for a resource of kind. A term
// the kind cannot expand, options on a link that is not a collection,
// or a malformed term is a bad query, named in the message.
func parseExpand(v, kind string) ([]expansion, error) {
	if v == "" {
		return nil, nil
	}
	bad := func(format string, args ...any) ([]expansion, error) {
		return nil, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "expand", format, args...)
	}
	allowed := expandable[kind]
	var out []expansion
	seen := map[string]bool{}
	for _, term := range splitTerms(v) {
		name, opts, hasOpts := strings.Cut(strings.TrimSpace(term), "(")
		name = strings.TrimSpace(name)
		coll, ok := allowed[name]
		if !ok {
			if len(name) > 64 || !paramName(name) {
				return bad("expand names a link this resource cannot expand.")
			}
			return bad("expand: %s is not a link this resource can expand.", name)
		}
		if seen[name] {
			return bad("expand: %s is named twice.", name)
		}
		seen[name] = true
		e := expansion{name: name}
		if coll {
			e.page = &domain.Page{}
		}
		if hasOpts {
			if !coll {
				return bad("expand: %s is not a collection; only collections take (offset:…,limit:…).", name)
			}
			body, ok := strings.CutSuffix(strings.TrimSpace(opts), ")")
			if !ok {
				return bad("expand: %s's options must end with ).", name)
			}
			for opt := range strings.SplitSeq(body, ",") {
				k, val, ok := strings.Cut(opt, ":")
				n, err := strconv.Atoi(strings.TrimSpace(val))
				if !ok || err != nil {
					return bad("expand: %s's options are offset:N and limit:N.", name)
				}
				switch strings.TrimSpace(k) {
				case "offset":
					e.page.Offset = n
				case "limit":
					e.page.Limit = n
				default:
					return bad("expand: %s's options are offset:N and limit:N.", name)
				}
			}
		}
		if e.page != nil {
			p, err := e.page.Normalize()
			if err != nil {
				return bad("expand: %s: offset must be 0 or more and limit 1 to %d.", name, domain.MaxLimit)
			}
			e.page = &p
		}
		out = append(out, e)
	}
	if len(out) > maxExpansions {
		return bad("expand names at most %d links.", maxExpansions)
	}
	return out, nil
}

// splitTerms splits on the commas outside parentheses.
func splitTerms(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range v {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// expansionsFor reads the request's expand parameter for kind.
func expansionsFor(r req, kind string) ([]expansion, error) {
	return parseExpand(r.URL.Query().Get("expand"), kind)
}

// expanded renders v (the resource's JSON) with each expansion in place
// of its link.
func (a *API) expanded(r req, owner domain.State, v any, exps []expansion) (any, error) {
	if len(exps) == 0 {
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, e := range exps {
		val, err := a.expansion(r, owner, e)
		if err != nil {
			return nil, err
		}
		m[e.name] = val
	}
	return m, nil
}

// expansion reads one linked resource or collection page of owner.
func (a *API) expansion(r req, owner domain.State, e expansion) (any, error) {
	ctx, c, b := r.Context(), r.c, r.base
	id := owner.Ref().ID
	page := func(path string, offset, limit, size int, items []any) Collection {
		return Collection{Href: string(b) + path, Offset: offset, Limit: limit, Size: size, Items: items}
	}
	switch e.name {
	case "customData":
		cd, err := a.Svc.GetCustomData(ctx, c, owner.Ref())
		if err != nil {
			return nil, err
		}
		return b.customData(cd), nil
	case "tenant":
		t, err := a.Svc.GetTenant(ctx, c, owner.TenantID())
		if err != nil {
			return nil, err
		}
		return b.tenant(t), nil
	case "application":
		var appID string
		switch o := owner.(type) {
		case *domain.Account:
			appID = o.ApplicationID
		case *domain.Group:
			appID = o.ApplicationID
		}
		if appID == "" {
			return nil, nil // an account or group of a shared directory
		}
		app, err := a.Svc.GetApplication(ctx, c, appID)
		if err != nil {
			return nil, err
		}
		return b.application(app), nil
	case "account", "group":
		m := owner.(*domain.Membership)
		if e.name == "account" {
			acc, err := a.Svc.GetAccount(ctx, c, m.AccountID)
			if err != nil {
				return nil, err
			}
			return b.account(acc), nil
		}
		g, err := a.Svc.GetGroup(ctx, c, m.GroupID)
		if err != nil {
			return nil, err
		}
		return b.group(g), nil
	}
	p := *e.page
	switch owner.Ref().Kind + "/" + e.name {
	case domain.KindTenant + "/applications":
		l, err := a.Svc.ListApplications(ctx, c, p)
		return page("/v1/applications", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.application)), err
	case domain.KindApplication + "/accounts":
		l, err := a.Svc.ListAccounts(ctx, c, id, p)
		return page("/v1/applications/"+id+"/accounts", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.account)), err
	case domain.KindApplication + "/groups":
		l, err := a.Svc.ListGroups(ctx, c, id, p)
		return page("/v1/applications/"+id+"/groups", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.group)), err
	case domain.KindAccount + "/apiKeys":
		l, err := a.Svc.ListAPIKeys(ctx, c, id, p)
		return page("/v1/accounts/"+id+"/apiKeys", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.apiKey)), err
	case domain.KindAccount + "/groups":
		l, err := a.Svc.ListAccountGroups(ctx, c, id, p)
		return page("/v1/accounts/"+id+"/groups", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.group)), err
	case domain.KindAccount + "/groupMemberships":
		l, err := a.Svc.ListAccountMemberships(ctx, c, id, p)
		return page("/v1/accounts/"+id+"/groupMemberships", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.membership)), err
	case domain.KindGroup + "/accounts":
		l, err := a.Svc.ListGroupAccounts(ctx, c, id, p)
		return page("/v1/groups/"+id+"/accounts", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.account)), err
	case domain.KindGroup + "/accountMemberships":
		l, err := a.Svc.ListGroupMemberships(ctx, c, id, p)
		return page("/v1/groups/"+id+"/accountMemberships", l.Offset, l.Limit, l.Size, renderAll(l.Items, b.membership)), err
	}
	return nil, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "expand", "expand: %s is not a link this resource can expand.", e.name)
}

func renderAll[T any, R any](items []T, render func(T) R) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = render(it)
	}
	return out
}
