package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// The signed-in pages about keys: the table, create, rename, disable
// and enable, reroll, delete, usage, and a test access token. Every call
// acts as the session's caller, so the domain answers another account's
// key id as not found.

// keysPerPage is the table's page: the most a collection read gives.
const keysPerPage = domain.MaxLimit

type keyRow struct {
	Key      *domain.APIKey
	LastUsed time.Time
	Expired  bool
	InGrace  bool
}

type keysData struct {
	Rows []keyRow
	// Next is the cursor of the following page, if any.
	Next string
	// Name and Expires are the create form's values, shown back after an
	// error.
	Name, Expires string
	// MinExpiry is the earliest date the create form offers.
	MinExpiry string
	// Once is the create form's one-time token (see once).
	Once string
}

func (c *Console) keyRows(q *req, keys []*domain.APIKey) ([]keyRow, error) {
	used, err := c.cfg.Service.LastUsed(q.r.Context(), keys)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Service.Clock.Now()
	rows := make([]keyRow, len(keys))
	for i, k := range keys {
		rows[i] = keyRow{Key: k, LastUsed: used[k.ID], Expired: k.Expired(now), InGrace: k.InGrace(now)}
	}
	return rows, nil
}

func (c *Console) keysData(q *req, after string) (keysData, error) {
	list, err := c.cfg.Service.ListAPIKeys(q.r.Context(), q.caller, q.account.ID, domain.Page{Limit: keysPerPage, After: after})
	if err != nil {
		return keysData{}, err
	}
	rows, err := c.keyRows(q, list.Items)
	if err != nil {
		return keysData{}, err
	}
	tomorrow := c.cfg.Service.Clock.Now().UTC().AddDate(0, 0, 1)
	return keysData{Rows: rows, Next: list.Next, MinExpiry: tomorrow.Format(time.DateOnly), Once: newOnce()}, nil
}

func (c *Console) keysPage(q *req) error {
	d, err := c.keysData(q, q.r.URL.Query().Get("after"))
	if err != nil {
		return err
	}
	c.render(q, http.StatusOK, "keys", view{Title: "API keys", Nav: "keys", Data: d})
	return nil
}

var (
	errExpiry     = domain.E(domain.KindInvalid, domain.CodeInvalidValue, "expires", "Give the expiry as a date (YYYY-MM-DD), or leave it empty for a key that never expires.")
	errPastExpiry = domain.E(domain.KindInvalid, domain.CodeInvalidValue, "expires", "The expiry date must be after today.")
)

// createdData is the page that shows a secret, once.
type createdData struct {
	Key    *domain.APIKey
	Secret string
	// Rerolled is set when the secret replaced an older one, which
	// works until GraceUntil (zero: it stopped at once).
	Rerolled   bool
	GraceUntil time.Time
	// Repeated is set when the form had been sent before (a reload, a
	// second click): nothing was done again, and the secret, shown only
	// to the first answer, is not here.
	Repeated bool
}

func (c *Console) createKey(q *req) error {
	name, expires := q.form("name"), strings.TrimSpace(q.form("expires"))
	in := domain.APIKeyInput{Name: q.formPtr("name")}
	fail := func(err error) error {
		d, lerr := c.keysData(q, "")
		if lerr != nil {
			return lerr
		}
		d.Name, d.Expires = name, expires
		return c.formError(q, "keys", view{Title: "API keys", Nav: "keys", Data: d}, err)
	}
	if expires != "" {
		// The key expires as the given day begins, in UTC, as the
		// form's label says.
		at, err := time.Parse(time.DateOnly, expires)
		if err != nil {
			return fail(errExpiry)
		}
		if !at.After(c.cfg.Service.Clock.Now()) {
			return fail(errPastExpiry)
		}
		in.Expiry = &domain.Expiry{At: at}
	}
	created, err := c.cfg.Service.CreateAPIKey(q.r.Context(), q.once("name", "expires"), q.account.ID, in)
	if err != nil {
		return fail(err)
	}
	c.render(q, http.StatusCreated, "created", view{Title: "Your new API key", Nav: "keys",
		Data: createdData{Key: created.Key, Secret: created.Secret, Repeated: created.Secret == ""}})
	return nil
}

// usageDay is one day of a key's verifications.
type usageDay struct {
	Day               time.Time
	Succeeded, Failed int64
}

type keyData struct {
	Row   keyRow
	Usage domain.KeyUsage
	Days  []usageDay
	// Max is the busiest day's total, the bars' full width.
	Max  int64
	Name string
}

func (c *Console) keyPage(q *req) error {
	return c.showKey(q, http.StatusOK, "", nil)
}

// showKey renders a key's page, with the rename form's value and error
// when a rename failed.
func (c *Console) showKey(q *req, status int, name string, formErr error) error {
	u, err := c.cfg.Service.APIKeyUsage(q.r.Context(), q.caller, q.keyID())
	if err != nil {
		return err
	}
	rows, err := c.keyRows(q, []*domain.APIKey{u.Key})
	if err != nil {
		return err
	}
	if name == "" {
		name = u.Key.Name
	}
	d := keyData{Row: rows[0], Usage: u, Name: name}
	// Hours become days (UTC): a month of hours is too fine to read.
	byDay := map[time.Time]*usageDay{}
	for day := u.To.Add(-domain.UsageWindow).Truncate(24 * time.Hour); day.Before(u.To); day = day.Add(24 * time.Hour) {
		d.Days = append(d.Days, usageDay{Day: day})
	}
	for i := range d.Days {
		byDay[d.Days[i].Day] = &d.Days[i]
	}
	for _, h := range u.Hours {
		if e := byDay[h.Hour.UTC().Truncate(24*time.Hour)]; e != nil {
			e.Succeeded += h.Succeeded
			e.Failed += h.Failed
		}
	}
	for _, e := range d.Days {
		d.Max = max(d.Max, e.Succeeded+e.Failed)
	}
	slices.Reverse(d.Days) // newest first
	v := view{Title: "Key " + displayName(u.Key), Nav: "keys", Data: d}
	if formErr != nil {
		return c.formError(q, "key", v, formErr)
	}
	c.render(q, status, "key", v)
	return nil
}

func displayName(k *domain.APIKey) string {
	if k.Name != "" {
		return k.Name
	}
	return k.ID
}

func (c *Console) renameKey(q *req) error {
	name := q.form("name")
	if _, err := c.cfg.Service.UpdateAPIKey(q.r.Context(), q.caller, q.keyID(), domain.APIKeyInput{Name: &name}); err != nil {
		return c.showKey(q, 0, name, err)
	}
	q.redirect("/keys/" + q.keyID() + "?done=renamed")
	return nil
}

func (c *Console) setKeyStatus(q *req) error {
	status := q.form("status")
	if status != domain.StatusEnabled && status != domain.StatusDisabled {
		return domain.E(domain.KindInvalid, domain.CodeInvalidStatus, "status", "status must be ENABLED or DISABLED.")
	}
	if _, err := c.cfg.Service.UpdateAPIKey(q.r.Context(), q.caller, q.keyID(), domain.APIKeyInput{Status: &status}); err != nil {
		return err
	}
	// Back to the page the button was on: the key's own, or the table.
	if q.form("from") == "key" {
		q.redirect("/keys/" + q.keyID() + "?done=" + strings.ToLower(status))
	} else {
		q.redirect("/keys?done=" + strings.ToLower(status))
	}
	return nil
}

// graces are the reroll page's choices: the form sends one of these
// words, never a duration to parse.
var graces = []struct {
	Value, Label string
	D            time.Duration
}{
	{"none", "None: the old secret stops at once", 0},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
	{"7d", "7 days", domain.MaxRerollGrace},
}

type rerollData struct {
	Key    *domain.APIKey
	Graces any
	Once   string
}

func (c *Console) rerollPage(q *req) error {
	k, err := c.cfg.Service.GetAPIKey(q.r.Context(), q.caller, q.keyID())
	if err != nil {
		return err
	}
	c.render(q, http.StatusOK, "reroll", view{Title: "Reroll " + displayName(k), Nav: "keys", Data: rerollData{Key: k, Graces: graces, Once: newOnce()}})
	return nil
}

func (c *Console) rerollKey(q *req) error {
	grace, ok := time.Duration(-1), false
	for _, g := range graces {
		if g.Value == q.form("grace") {
			grace, ok = g.D, true
		}
	}
	if !ok {
		return domain.E(domain.KindInvalid, domain.CodeInvalidValue, "grace", "Choose how long the old secret keeps working.")
	}
	created, err := c.cfg.Service.RerollAPIKey(q.r.Context(), q.once("grace"), q.keyID(), grace)
	if err != nil {
		return err
	}
	d := createdData{Key: created.Key, Secret: created.Secret, Rerolled: true, Repeated: created.Secret == ""}
	if created.Key.InGrace(c.cfg.Service.Clock.Now()) {
		d.GraceUntil = created.Key.PreviousValidUntil
	}
	c.render(q, http.StatusOK, "created", view{Title: "New secret for " + displayName(created.Key), Nav: "keys", Data: d})
	return nil
}

func (c *Console) deletePage(q *req) error {
	k, err := c.cfg.Service.GetAPIKey(q.r.Context(), q.caller, q.keyID())
	if err != nil {
		return err
	}
	c.render(q, http.StatusOK, "delete", view{Title: "Delete " + displayName(k), Nav: "keys", Data: k})
	return nil
}

func (c *Console) deleteKey(q *req) error {
	if err := c.cfg.Service.DeleteAPIKey(q.r.Context(), q.caller, q.keyID()); err != nil {
		return err
	}
	q.redirect("/keys?done=deleted")
	return nil
}

type tokenData struct {
	Keys []*domain.APIKey
	// KeyID is the key chosen.
	KeyID string
	// Token, ExpiresIn and Curl are the result, shown once.
	Token     string
	ExpiresIn int
	Scope     string
	Curl      string
}

// enabledKeys lists the account's keys a token can be asked with.
func (c *Console) enabledKeys(q *req) ([]*domain.APIKey, error) {
	list, err := c.cfg.Service.ListAPIKeys(q.r.Context(), q.caller, q.account.ID, domain.Page{Limit: keysPerPage})
	if err != nil {
		return nil, err
	}
	now := c.cfg.Service.Clock.Now()
	var out []*domain.APIKey
	for _, k := range list.Items {
		if k.Status == domain.StatusEnabled && !k.Expired(now) {
			out = append(out, k)
		}
	}
	return out, nil
}

func (c *Console) tokenPage(q *req) error {
	keys, err := c.enabledKeys(q)
	if err != nil {
		return err
	}
	c.render(q, http.StatusOK, "token", view{Title: "Test access token", Nav: "token", Data: tokenData{Keys: keys, KeyID: q.r.URL.Query().Get("key")}})
	return nil
}

var errNoKey = domain.E(domain.KindInvalid, domain.CodeRequired, "key", "Choose one of your keys.")

func (c *Console) testToken(q *req) error {
	keys, err := c.enabledKeys(q)
	if err != nil {
		return err
	}
	id := q.form("key")
	d := tokenData{Keys: keys, KeyID: id}
	v := view{Title: "Test access token", Nav: "token", Data: d}
	// Only a key of this account: another account's id and secret would
	// work at the token endpoint, but this page is not the place.
	if !validID(id) {
		return c.formError(q, "token", v, errNoKey)
	}
	if _, err := c.cfg.Service.GetAPIKey(q.r.Context(), q.caller, id); err != nil {
		return c.formError(q, "token", v, err)
	}
	iss, err := c.cfg.Tokens.Issue(q.r.Context(), domain.TokenRequest{KeyID: id, Secret: q.form("secret"), Scope: q.form("scope"),
		ApplicationID: q.app.ID, BaseURL: q.base, Source: httpapi.SourceAddr(q.r)})
	if err != nil {
		return c.formError(q, "token", v, err)
	}
	d.Token, d.ExpiresIn, d.Scope = iss.Signed, iss.ExpiresIn, iss.Token.Scope()
	d.Curl = curlLine(c.cfg.TryURL, q.account.Username, iss.Signed)
	v.Data = d
	c.render(q, http.StatusOK, "token", v)
	return nil
}

// curlLine is a ready-made request of the provider's API with the token,
// quoted for a POSIX shell.
func curlLine(try, username, token string) string {
	u := try
	if u == "" {
		u = "https://api.example.com/your/resource"
	}
	u = strings.ReplaceAll(u, "{username}", url.PathEscape(username))
	u = strings.ReplaceAll(u, "'", "%27")
	return "curl -H 'Authorization: Bearer " + token + "' '" + u + "'"
}
