package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// AuditEntry is one event of the audit log.
type AuditEntry struct {
	Type      string `json:"type"`
	At        string `json:"at"`
	Actor     *Actor `json:"actor"`
	RequestID string `json:"requestId,omitempty"`
	// Resource is the aggregate the event belongs to: its href when it
	// has one in the API, and always its kind and id.
	Resource AuditResource `json:"resource"`
	// Changes are the event's fields, secrets, hashes, passwords and
	// tokens left out.
	Changes map[string]any `json:"changes"`
}

// Actor is who caused an event: an API key or a signed-in session (null
// for the system: cascades, sweeps).
type Actor struct {
	ID   string `json:"id"`
	Href string `json:"href,omitempty"`
}

// AuditResource names an event's aggregate.
type AuditResource struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Href string `json:"href,omitempty"`
}

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Href  string       `json:"href"`
	Limit int          `json:"limit"`
	Items []AuditEntry `json:"items"`
	// Next continues the listing; absent at its end.
	Next *Link `json:"next,omitempty"`
}

// kindPaths are the API paths of the aggregates that have one, by kind.
var kindPaths = map[string]string{
	domain.KindTenant:       "/v1/tenants/",
	domain.KindApplication:  "/v1/applications/",
	domain.KindAccount:      "/v1/accounts/",
	domain.KindGroup:        "/v1/groups/",
	domain.KindDirectory:    "/v1/directories/",
	domain.KindMembership:   "/v1/groupMemberships/",
	domain.KindAPIKey:       "/v1/apiKeys/",
	domain.KindRefreshToken: "/v1/refreshTokens/",
	domain.KindAccessToken:  "/v1/accessTokens/",
}

func (b hrefs) auditEntry(e domain.AuditEntry) AuditEntry {
	out := AuditEntry{Type: e.Type, At: ts(e.At), RequestID: e.RequestID, Changes: e.Changes,
		Resource: AuditResource{Kind: e.Resource.Kind, ID: e.Resource.ID}}
	if p, ok := kindPaths[e.Resource.Kind]; ok {
		out.Resource.Href = string(b) + p + e.Resource.ID
	}
	if out.Changes == nil {
		out.Changes = map[string]any{}
	}
	switch kind, id, _ := strings.Cut(e.Actor, "/"); kind {
	case "apikey":
		out.Actor = &Actor{ID: e.Actor, Href: string(b) + "/v1/apiKeys/" + id}
	case "session":
		out.Actor = &Actor{ID: e.Actor, Href: string(b) + "/v1/refreshTokens/" + id}
	case "":
	default:
		out.Actor = &Actor{ID: e.Actor}
	}
	return out
}

// auditQuery reads the audit log's query: type (repeated or
// comma-separated), actor ("apikey/<id>", "session/<id>"), resource (an
// href or path), from and to (RFC 3339), limit and after. Anything else
// is refused by name.
func auditQuery(r *http.Request, allowResource bool) (domain.AuditQuery, error) {
	var q domain.AuditQuery
	bad := func(name, format string, args ...any) (domain.AuditQuery, error) {
		return q, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, name, format, args...)
	}
	vals := r.URL.Query()
	for name, vs := range vals {
		switch name {
		case "type", "actor", "from", "to", "limit", "after":
		case "resource":
			if !allowResource {
				return bad(name, "%s is not a parameter of this collection.", name)
			}
		default:
			return bad(name, "%s is not a parameter of this collection.", name)
		}
		if name != "type" && len(vs) > 1 {
			return bad(name, "%s may be given once.", name)
		}
	}
	for _, v := range vals["type"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				q.Types = append(q.Types, t)
			}
		}
	}
	if len(q.Types) > 50 {
		return bad("type", "At most 50 types may be given.")
	}
	q.Actor = vals.Get("actor")
	if len(q.Actor) > 100 {
		return bad("actor", "actor is too long.")
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := vals.Get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return bad(f.name, "%s must be an RFC 3339 time.", f.name)
			}
			*f.dst = t
		}
	}
	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MaxLimit {
			return bad("limit", "limit must be from 1 to %d.", domain.MaxLimit)
		}
		q.Limit = n
	}
	q.After = vals.Get("after")
	if v := vals.Get("resource"); v != "" {
		ref, ok := resourceRef(v)
		if !ok {
			return bad("resource", "resource must be the href of a resource, such as …/v1/apiKeys/{id}.")
		}
		q.Stream = ref.Stream()
	}
	return q, nil
}

// resourceRef reads an href (absolute or a path) of a resource.
func resourceRef(v string) (domain.Ref, bool) {
	u, err := url.Parse(v)
	if err != nil {
		return domain.Ref{}, false
	}
	p := u.Path
	if i := strings.Index(p, "/v1/"); i >= 0 {
		p = p[i:]
	}
	for kind, prefix := range kindPaths {
		if id, ok := strings.CutPrefix(p, prefix); ok && id != "" && !strings.Contains(id, "/") && len(id) <= 64 {
			return domain.Ref{Kind: kind, ID: id}, true
		}
	}
	return domain.Ref{}, false
}

func (b hrefs) auditPage(r *http.Request, p domain.AuditPage) AuditPage {
	out := AuditPage{Href: string(b) + r.URL.Path, Limit: p.Limit, Items: make([]AuditEntry, len(p.Entries))}
	for i, e := range p.Entries {
		out.Items[i] = b.auditEntry(e)
	}
	if p.Next != "" {
		q := r.URL.Query()
		q.Set("after", p.Next)
		q.Set("limit", strconv.Itoa(p.Limit))
		out.Next = &Link{Href: string(b) + r.URL.Path + "?" + q.Encode()}
	}
	return out
}

// tenantEvents is the tenant's audit log.
func (a *API) tenantEvents(w http.ResponseWriter, r req) error {
	q, err := auditQuery(r.Request, true)
	if err != nil {
		return err
	}
	p, err := a.Svc.AuditLog(r.Context(), r.c, param(r.Request, "tenantId"), q)
	if err != nil {
		return err
	}
	return ok(w, r.base.auditPage(r.Request, p))
}

// keyHistory is one key's entries of the audit log.
func (a *API) keyHistory(w http.ResponseWriter, r req) error {
	q, err := auditQuery(r.Request, false)
	if err != nil {
		return err
	}
	p, err := a.Svc.APIKeyHistory(r.Context(), r.c, param(r.Request, "apiKeyId"), q)
	if err != nil {
		return err
	}
	return ok(w, r.base.auditPage(r.Request, p))
}

// Verdict is the answer of a read ?at= a time: whether the key or
// account could authenticate then, and why not.
type Verdict struct {
	At      string   `json:"at"`
	ValidAt bool     `json:"validAt"`
	Reasons []string `json:"reasons"`
	// Scope is a key's scope restriction then (null: unrestricted).
	Scope *string `json:"scope,omitempty"`
}

// APIKeyAt is an API key as it was at a time, with the verdict.
type APIKeyAt struct {
	APIKey
	Verdict Verdict `json:"verdict"`
}

// AccountAt is an account as it was at a time, with the verdict.
type AccountAt struct {
	Account
	Verdict Verdict `json:"verdict"`
}

func verdict(at time.Time, v domain.Verdict) Verdict {
	out := Verdict{At: ts(at), ValidAt: v.ValidAt, Reasons: v.Reasons, Scope: v.Scope}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	return out
}

// atParam reads ?at=, the only parameter a point-in-time read takes.
func atParam(r *http.Request) (time.Time, error) {
	q := r.URL.Query()
	if len(q) != 1 || len(q["at"]) != 1 {
		return time.Time{}, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "at", "A read at a time takes at alone, once.")
	}
	t, err := time.Parse(time.RFC3339Nano, q.Get("at"))
	if err != nil {
		return time.Time{}, domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "at", "at must be an RFC 3339 time.")
	}
	return t, nil
}

func (a *API) apiKeyAt(w http.ResponseWriter, r req) error {
	at, err := atParam(r.Request)
	if err != nil {
		return err
	}
	k, err := a.Svc.APIKeyAt(r.Context(), r.c, param(r.Request, "apiKeyId"), at)
	if err != nil {
		return err
	}
	return ok(w, APIKeyAt{APIKey: r.base.apiKey(k.Key), Verdict: verdict(k.At, k.Verdict)})
}

func (a *API) accountAt(w http.ResponseWriter, r req) error {
	at, err := atParam(r.Request)
	if err != nil {
		return err
	}
	acc, err := a.Svc.AccountAtTime(r.Context(), r.c, param(r.Request, "accountId"), at)
	if err != nil {
		return err
	}
	return ok(w, AccountAt{Account: r.base.account(acc.Account), Verdict: verdict(acc.At, acc.Verdict)})
}
