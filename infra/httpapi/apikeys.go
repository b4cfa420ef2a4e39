package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/keystorm/keystorm/domain"
)

func apiKeyInput(r req) (domain.APIKeyInput, error) {
	return keyInput(r, APIKeyBody{})
}

// keyInput reads a key's body: APIKeyBody on update, APIKeyCreateBody on
// create, whose id and secret import a key.
func keyInput(r req, typ any) (domain.APIKeyInput, error) {
	f, name, desc, st, err := named(r.body, typ)
	if err != nil {
		return domain.APIKeyInput{}, err
	}
	in := domain.APIKeyInput{Name: name, Description: desc, Status: st}
	if _, create := typ.(APIKeyCreateBody); create {
		if in.Import, err = keyImport(f); err != nil {
			return in, err
		}
	}
	if in.Scopes, err = f.scopes("scopes"); err != nil {
		return in, err
	}
	if in.Expiry, err = f.expiry("expiresAt"); err != nil {
		return in, err
	}
	if in.RateLimit, err = f.rateLimit("rateLimit"); err != nil {
		return in, err
	}
	// SDKs send back the whole key on save: its secret (decrypted, or ""),
	// the expanded account, and SDK bookkeeping.
	return in, f.rest("secret", "account", "tenant", "apiKeyMetaData", "previousSecretValidUntil", "lastUsedAt")
}

// keyImport reads a create body's id and secret. Both absent, null or
// empty is a plain create: SDKs may send a key's read-only properties
// back, and an empty secret is what they hold for one they cannot
// decrypt. Otherwise the domain judges the pair (who may import, one
// without the other, the id's shape, the secret rule).
func keyImport(f *fields) (*domain.KeyImport, error) {
	id, err := f.str("id")
	if err != nil {
		return nil, err
	}
	secret, err := f.str("secret")
	if err != nil {
		return nil, err
	}
	var imp domain.KeyImport
	if id != nil {
		imp.ID = *id
	}
	if secret != nil {
		imp.Secret = *secret
	}
	if imp == (domain.KeyImport{}) {
		return nil, nil
	}
	return &imp, nil
}

// keyView renders keys for one request: it expands the account when asked
// (SDKs always send expand=account) and seals secrets when asked.
type keyView struct {
	a      *API
	r      req
	sealer *secretSealer
	expand bool
	accs   map[string]*domain.Account
	// last holds the keys' lastUsedAt, read in one call per request by
	// lastUsed; nil leaves lastUsedAt null (a key just created).
	last map[string]time.Time
}

// lastUsed reads the lastUsedAt of the keys about to be rendered.
func (v *keyView) lastUsed(ctx context.Context, keys ...*domain.APIKey) error {
	m, err := v.a.Svc.LastUsed(ctx, keys)
	v.last = m
	return err
}

func (a *API) keyView(r req) (*keyView, error) {
	s, err := sealerFor(r.Request, r.c.KeyID)
	if err != nil {
		return nil, err
	}
	exps, err := parseExpand(r.URL.Query().Get("expand"), domain.KindAPIKey)
	if err != nil {
		return nil, err
	}
	expand := len(exps) > 0 // account is the one link a key expands
	return &keyView{a: a, r: r, sealer: s, expand: expand, accs: map[string]*domain.Account{}}, nil
}

func (v *keyView) render(ctx context.Context, k *domain.APIKey, secret *string) (APIKey, error) {
	out := v.r.base.apiKey(k)
	out.LastUsedAt = optTS(v.last[k.ID])
	if v.expand {
		acc, ok := v.accs[k.AccountID]
		if !ok {
			var err error
			if acc, err = v.a.Svc.GetAccount(ctx, v.r.c, k.AccountID); err != nil {
				return out, err
			}
			v.accs[k.AccountID] = acc
		}
		out.Account = v.r.base.account(acc)
	}
	if v.sealer != nil {
		plain := ""
		if secret != nil {
			plain = *secret
		}
		sealed, err := v.sealer.seal(plain)
		if err != nil {
			return out, err
		}
		out.Secret = &sealed
	} else if secret != nil {
		out.Secret = secret
	}
	return out, nil
}

// renderWithSecret renders a key just created or rerolled, with its
// secret; an idempotent replay has none to show (it was shown once).
func (v *keyView) renderWithSecret(ctx context.Context, ck domain.CreatedAPIKey) (APIKey, error) {
	var secret *string
	if ck.Secret != "" {
		secret = &ck.Secret
	}
	return v.render(ctx, ck.Key, secret)
}

func (v *keyView) list(ctx context.Context, l domain.List[*domain.APIKey]) (Collection, error) {
	if err := v.lastUsed(ctx, l.Items...); err != nil {
		return Collection{}, err
	}
	items := make([]any, len(l.Items))
	for i, k := range l.Items {
		out, err := v.render(ctx, k, nil)
		if err != nil {
			return Collection{}, err
		}
		items[i] = out
	}
	return newCollection(v.r.Request, string(v.r.base), l.Offset, l.Limit, l.Size, l.Next, l.More, items), nil
}

func (a *API) createAPIKey(w http.ResponseWriter, r req) error {
	in, err := keyInput(r, APIKeyCreateBody{})
	if err != nil {
		return err
	}
	// Stormpath SDKs pass create options as query parameters.
	q := r.URL.Query()
	if in.Name == nil && q.Has("name") {
		n := q.Get("name")
		in.Name = &n
	}
	if in.Description == nil && q.Has("description") {
		d := q.Get("description")
		in.Description = &d
	}
	v, err := a.keyView(r)
	if err != nil {
		return err
	}
	ck, err := a.Svc.CreateAPIKey(r.Context(), r.c, param(r.Request, "accountId"), in)
	if err != nil {
		return err
	}
	out, err := v.renderWithSecret(r.Context(), ck)
	if err != nil {
		return err
	}
	return created(w, out.Href, out)
}

func (a *API) listAPIKeys(w http.ResponseWriter, r req) error {
	p, err := page(r.Request, domain.KindAPIKey, encryptionParams...)
	if err != nil {
		return err
	}
	v, err := a.keyView(r)
	if err != nil {
		return err
	}
	l, err := a.Svc.ListAPIKeys(r.Context(), r.c, param(r.Request, "accountId"), p)
	if err != nil {
		return err
	}
	out, err := v.list(r.Context(), l)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) findAPIKey(w http.ResponseWriter, r req) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		return domain.E(domain.KindInvalid, domain.CodeInvalidQuery, "id", "Query parameter id (the API key id) is required.")
	}
	v, err := a.keyView(r)
	if err != nil {
		return err
	}
	l, err := a.Svc.FindAPIKey(r.Context(), r.c, param(r.Request, "applicationId"), id)
	if err != nil {
		return err
	}
	out, err := v.list(r.Context(), l)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) getAPIKey(w http.ResponseWriter, r req) error {
	if r.URL.Query().Has("at") {
		return a.apiKeyAt(w, r)
	}
	v, err := a.keyView(r)
	if err != nil {
		return err
	}
	k, err := a.Svc.GetAPIKey(r.Context(), r.c, param(r.Request, "apiKeyId"))
	if err != nil {
		return err
	}
	if err := v.lastUsed(r.Context(), k); err != nil {
		return err
	}
	out, err := v.render(r.Context(), k, nil)
	if err != nil {
		return err
	}
	return ok(w, out)
}

func (a *API) updateAPIKey(w http.ResponseWriter, r req) error {
	in, err := apiKeyInput(r)
	if err != nil {
		return err
	}
	k, err := a.Svc.UpdateAPIKey(r.Context(), r.c, param(r.Request, "apiKeyId"), in)
	if err != nil {
		return err
	}
	v := &keyView{a: a, r: r, accs: map[string]*domain.Account{}}
	out, err := v.render(r.Context(), k, nil)
	if err != nil {
		return err
	}
	return ok(w, out)
}

// keyUsage answers a key's verifications per hour for 30 days.
func (a *API) keyUsage(w http.ResponseWriter, r req) error {
	u, err := a.Svc.APIKeyUsage(r.Context(), r.c, param(r.Request, "apiKeyId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.keyUsage(u))
}

// rerollAPIKey answers 200 (the key keeps its id and href) with the new
// secret, shown this once.
func (a *API) rerollAPIKey(w http.ResponseWriter, r req) error {
	props, err := object(r.body)
	if err != nil {
		return err
	}
	f := bodyFields(props, RerollBody{})
	gp, err := f.str("gracePeriod")
	if err != nil {
		return err
	}
	if err := f.rest(); err != nil {
		return err
	}
	var grace time.Duration
	if gp != nil {
		if grace, err = ParseISODuration(*gp); err != nil {
			return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "gracePeriod", "gracePeriod must be an ISO 8601 duration from PT0S to P7D.")
		}
	}
	v, err := a.keyView(r)
	if err != nil {
		return err
	}
	ck, err := a.Svc.RerollAPIKey(r.Context(), r.c, param(r.Request, "apiKeyId"), grace)
	if err != nil {
		return err
	}
	out, err := v.renderWithSecret(r.Context(), ck)
	if err != nil {
		return err
	}
	return ok(w, out)
}

// expiry reads a key's expiresAt: absent leaves it, null lifts it, an
// RFC 3339 time sets it (the domain checks that it lies ahead).
func (f *fields) expiry(name string) (*domain.Expiry, error) {
	raw, ok, err := f.read(name)
	if err != nil || !ok {
		return nil, err
	}
	if string(raw) == "null" {
		return &domain.Expiry{}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be null or an RFC 3339 time.", name)
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || at.IsZero() {
		return nil, domain.E(domain.KindInvalid, domain.CodeInvalidValue, name, "%s must be an RFC 3339 time such as 2027-01-01T00:00:00Z.", name)
	}
	return &domain.Expiry{At: at}, nil
}

// rateLimit reads a rate limit: absent leaves it, null lifts it, an
// object {"requests": n, "period": "PT1M"} sets it (the domain checks
// the bounds).
func (f *fields) rateLimit(name string) (*domain.RateLimit, error) {
	raw, ok, err := f.read(name)
	if err != nil || !ok {
		return nil, err
	}
	if string(raw) == "null" {
		return &domain.RateLimit{}, nil
	}
	bad := domain.E(domain.KindInvalid, domain.CodeWrongType, name, `%s must be null or {"requests": n, "period": "PT1M"}.`, name)
	props, err := object(raw)
	if err != nil {
		return nil, bad
	}
	sub := bodyFields(props, RateLimitBody{})
	var n int
	if r, ok, _ := sub.read("requests"); !ok || json.Unmarshal(r, &n) != nil {
		return nil, bad
	}
	period, err := sub.str("period")
	if err != nil || period == nil || sub.rest() != nil || len(props) != 2 {
		return nil, bad
	}
	d, err := ParseISODuration(*period)
	if err != nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeInvalidValue, name, "%s.period must be an ISO 8601 duration from PT1S to P1D.", name)
	}
	return &domain.RateLimit{Requests: n, Period: d}, nil
}

func (a *API) deleteAPIKey(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteAPIKey(r.Context(), r.c, param(r.Request, "apiKeyId")); err != nil {
		return err
	}
	return noContent(w)
}
