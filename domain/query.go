package domain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Stormpath's collection queries: q, attribute filters, date ranges and
// orderBy, over the collection a list names. They are judged here, in
// one place, so both stores answer them alike.
//
// How they run: a query with only offset, limit and after reads one page
// (Store.List or ListAfter). An exact username or email filter on an
// application's accounts reads one uniqueness guard and one account
// (Store.GuardOwner): O(1) on both stores. Any other filter, q or
// orderBy reads the whole collection a keyset page at a time and filters
// and sorts it in memory: on DynamoDB that is one Query per 100 items
// (read capacity for every item of the collection, whatever matches), on
// SQLite one index range. Hence MaxScan.

// MaxScan bounds the items a filtered or sorted list may read: past it
// the query is refused (narrow it with an exact username or email, or
// page without filters) rather than read an unbounded collection.
const MaxScan = 50_000

// Match is one attribute filter: Value is compared case-insensitively,
// exactly, or as a prefix (value*), suffix (*value) or substring
// (*value*).
type Match struct {
	Attr  string
	Value string
}

// TimeRange bounds createdAt or modifiedAt: From inclusive, To
// exclusive; a zero bound is open. ParseTimeRange reads Stormpath's
// syntax into it.
type TimeRange struct {
	From, To time.Time
}

// IsZero reports a range that bounds nothing.
func (r TimeRange) IsZero() bool { return r.From.IsZero() && r.To.IsZero() }

func (r TimeRange) contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// ParseTimeRange reads Stormpath's date filters: "[from, to]" with "(" or
// ")" to exclude a bound and either side empty for "open", or one bare
// time for the whole period it names ("2015-02" is February 2015). A
// time may be cut after the year, month, day, hour, minute or second,
// and names the whole period up to where it is cut: "[, 2015-02]" runs
// to the end of February, "(2015-02," starts after it. Without a zone a
// time is UTC.
func ParseTimeRange(v string) (TimeRange, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return TimeRange{}, errors.New("empty")
	}
	open, close := v[0], v[len(v)-1]
	if open != '[' && open != '(' {
		start, end, err := parsePeriod(v)
		return TimeRange{From: start, To: end}, err
	}
	if close != ']' && close != ')' {
		return TimeRange{}, errors.New("a range ends with ] or )")
	}
	lo, hi, ok := strings.Cut(v[1:len(v)-1], ",")
	if !ok || strings.Contains(hi, ",") {
		return TimeRange{}, errors.New("a range has two bounds separated by a comma")
	}
	var r TimeRange
	if lo = strings.TrimSpace(lo); lo != "" {
		start, end, err := parsePeriod(lo)
		if err != nil {
			return TimeRange{}, err
		}
		r.From = start
		if open == '(' {
			r.From = end
		}
	}
	if hi = strings.TrimSpace(hi); hi != "" {
		start, end, err := parsePeriod(hi)
		if err != nil {
			return TimeRange{}, err
		}
		r.To = end
		if close == ')' {
			r.To = start
		}
	}
	if r.IsZero() {
		return TimeRange{}, errors.New("a range needs at least one bound")
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return TimeRange{}, errors.New("the range is empty")
	}
	return r, nil
}

// periods are the accepted time layouts, longest first, each with the
// length of the period a time in it names.
var periods = []struct {
	layout string
	unit   func(time.Time) time.Time
}{
	{"2006-01-02T15:04:05.999999999Z07:00", func(t time.Time) time.Time { return t.Add(time.Nanosecond) }},
	{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15Z07:00", func(t time.Time) time.Time { return t.Add(time.Hour) }},
	{"2006-01-02T15:04:05.999999999", func(t time.Time) time.Time { return t.Add(time.Nanosecond) }},
	{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
	{"2006-01-02T15", func(t time.Time) time.Time { return t.Add(time.Hour) }},
	{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
	{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
	{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
}

// fractionUnit is the period a fraction of a second names: the value of
// its last digit, but at least a millisecond, the precision the API shows
// times in (trailing zeros dropped: ".39" is shown for .390, and names
// the millisecond, not ten).
func fractionUnit(v string) time.Duration {
	_, frac, ok := strings.Cut(v, ".")
	if !ok {
		return time.Second
	}
	n := 0
	for n < len(frac) && frac[n] >= '0' && frac[n] <= '9' {
		n++
	}
	unit := time.Second
	for range min(max(n, 3), 9) {
		unit /= 10
	}
	return unit
}

// parsePeriod returns the start and end of the period a time names.
func parsePeriod(v string) (start, end time.Time, err error) {
	for _, p := range periods {
		if len(p.layout) < 10 && len(v) != len(p.layout) {
			continue // "2006" must not read the first digits of more
		}
		t, err := time.Parse(p.layout, v)
		if err != nil {
			continue
		}
		end := p.unit(t)
		if strings.Contains(p.layout, ".999") {
			// A fraction names the period of its last digit: the API
			// shows milliseconds, so "(…05.015Z," must exclude every
			// time shown as …05.015Z, whatever its nanoseconds.
			end = t.Add(fractionUnit(v))
		}
		return t.UTC(), end.UTC(), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not a time such as 2015-02-01T12:00:00Z or 2015-02", v)
}

// Order is one orderBy term.
type Order struct {
	Attr string
	Desc bool
}

// Filtered reports whether the page needs more than a page read.
func (p Page) Filtered() bool {
	return p.Q != "" || len(p.Match) > 0 || !p.CreatedAt.IsZero() || !p.ModifiedAt.IsZero() || p.sorted()
}

// sorted reports an order other than the collection's own (createdAt
// ascending).
func (p Page) sorted() bool {
	return len(p.OrderBy) > 0 && !(len(p.OrderBy) == 1 && p.OrderBy[0] == Order{Attr: "createdAt"})
}

// Searchable is a state with text attributes that q and attribute
// filters read, and that orderBy sorts on.
type Searchable interface {
	State
	// Attr returns a text attribute by its API name.
	Attr(name string) (string, bool)
	CreatedTime() time.Time
	ModifiedTime() time.Time
}

// FilterAttrs names each resource's filterable attributes: its text
// attributes as the API shows them. Secrets and hashes are never
// filterable, so no query can probe them.
var FilterAttrs = map[string][]string{
	KindAccount:     {"username", "email", "givenName", "middleName", "surname", "status"},
	KindGroup:       {"name", "description", "status"},
	KindDirectory:   {"name", "description", "status"},
	KindApplication: {"name", "description", "status"},
	KindAPIKey:      {"name", "description", "status"},
}

// CreatedTime implements Searchable.
func (b *Base) CreatedTime() time.Time { return b.CreatedAt }

// ModifiedTime implements Searchable.
func (b *Base) ModifiedTime() time.Time { return b.ModifiedAt }

// Attr implements Searchable.
func (a *Account) Attr(name string) (string, bool) {
	switch name {
	case "username":
		return a.Username, true
	case "email":
		return a.Email, true
	case "givenName":
		return a.GivenName, true
	case "middleName":
		return a.MiddleName, true
	case "surname":
		return a.Surname, true
	case "status":
		return a.Status, true
	}
	return "", false
}

// Attr implements Searchable.
func (d *Directory) Attr(name string) (string, bool) {
	return nameAttr(name, d.Name, d.Description, d.Status)
}

// Attr implements Searchable.
func (g *Group) Attr(name string) (string, bool) {
	return nameAttr(name, g.Name, g.Description, g.Status)
}

// Attr implements Searchable.
func (a *Application) Attr(name string) (string, bool) {
	return nameAttr(name, a.Name, a.Description, a.Status)
}

// Attr implements Searchable.
func (k *APIKey) Attr(name string) (string, bool) {
	return nameAttr(name, k.Name, k.Description, k.Status)
}

func nameAttr(attr, name, description, status string) (string, bool) {
	switch attr {
	case "name":
		return name, true
	case "description":
		return description, true
	case "status":
		return status, true
	}
	return "", false
}

var (
	_ Searchable = (*Account)(nil)
	_ Searchable = (*Group)(nil)
	_ Searchable = (*Application)(nil)
	_ Searchable = (*APIKey)(nil)
)

// checkQuery refuses filters and orders on attributes kind does not
// have, naming the first.
func checkQuery(kind string, p Page) error {
	if !p.Filtered() {
		return nil
	}
	attrs := FilterAttrs[kind]
	for _, m := range p.Match {
		if !slices.Contains(attrs, m.Attr) {
			return invalid(CodeInvalidQuery, m.Attr, "%s is not a filterable attribute of this collection.", m.Attr)
		}
	}
	if len(attrs) == 0 && (p.Q != "" || len(p.Match) > 0) {
		return invalid(CodeInvalidQuery, "q", "This collection has no text attributes to search.")
	}
	for _, o := range p.OrderBy {
		if o.Attr != "createdAt" && o.Attr != "modifiedAt" && !slices.Contains(attrs, o.Attr) {
			return invalid(CodeInvalidQuery, "orderBy", "orderBy: %s is not an attribute of this collection.", o.Attr)
		}
	}
	return nil
}

// matches reports whether st passes every filter of p.
func matches(st Searchable, kind string, p Page) bool {
	if !p.CreatedAt.contains(st.CreatedTime()) || !p.ModifiedAt.contains(st.ModifiedTime()) {
		return false
	}
	for _, m := range p.Match {
		v, _ := st.Attr(m.Attr)
		if !matchAttr(kind, m, v) {
			return false
		}
	}
	if p.Q != "" {
		q := strings.ToLower(p.Q)
		for _, a := range FilterAttrs[kind] {
			if v, _ := st.Attr(a); strings.Contains(strings.ToLower(v), q) {
				return true
			}
		}
		return false
	}
	return true
}

// matchAttr compares one attribute. An exact username or email compares
// as uniqueness does (identifier.go), so a filter finds the account a
// duplicate would collide with, by either path (guard or scan).
func matchAttr(kind string, m Match, v string) bool {
	if kind == KindAccount && !strings.Contains(m.Value, "*") {
		switch m.Attr {
		case "username":
			return usernameKey(v) == usernameKey(m.Value)
		case "email":
			return emailKey(v) == emailKey(m.Value)
		}
	}
	return wildcard(v, m.Value)
}

// wildcard compares v with pattern case-insensitively; a * at either end
// of the pattern matches anything there.
func wildcard(v, pattern string) bool {
	v, pattern = strings.ToLower(v), strings.ToLower(pattern)
	pre, suf := strings.HasPrefix(pattern, "*"), strings.HasSuffix(pattern, "*") && len(pattern) > 1
	core := strings.TrimSuffix(strings.TrimPrefix(pattern, "*"), "*")
	if !suf && strings.HasSuffix(pattern, "*") {
		core = "" // the pattern "*" alone
	}
	switch {
	case pre && suf, pattern == "*":
		return strings.Contains(v, core)
	case pre:
		return strings.HasSuffix(v, core)
	case suf:
		return strings.HasPrefix(v, core)
	}
	return v == pattern
}

// sortStates orders items by p.OrderBy, ties broken by creation order
// (the sort key), so pages of a sorted list never overlap.
func sortStates[T Searchable](items []T, p Page) {
	slices.SortStableFunc(items, func(a, b T) int {
		for _, o := range p.OrderBy {
			var c int
			switch o.Attr {
			case "createdAt":
				c = a.CreatedTime().Compare(b.CreatedTime())
			case "modifiedAt":
				c = a.ModifiedTime().Compare(b.ModifiedTime())
			default:
				x, _ := a.Attr(o.Attr)
				y, _ := b.Attr(o.Attr)
				c = cmp.Compare(strings.ToLower(x), strings.ToLower(y))
			}
			if o.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return strings.Compare(a.SortKey(), b.SortKey())
	})
}

// pageOf cuts the filtered, sorted items to p's window. Next stays empty:
// a filtered list pages by offset (its order need not be the index's).
func pageOf[T Searchable](items []T, p Page) List[T] {
	out := List[T]{Offset: p.Offset, Limit: p.Limit, Size: len(items)}
	if p.Offset < len(items) {
		out.Items = items[p.Offset:min(len(items), p.Offset+p.Limit)]
	}
	if out.Items == nil {
		out.Items = []T{}
	}
	out.More = p.Offset+len(out.Items) < len(items)
	return out
}

// filtered answers a filtered list by reading the collections whole
// (see MaxScan, which bounds them together), a keyset page at a time.
func filtered[T Searchable](ctx context.Context, s *Service, kind string, p Page, collections ...string) (List[T], error) {
	var all []T
	var scanned int
	for _, collection := range collections {
		err := eachPage(ctx, s.Store, collection, func(items []State) bool {
			scanned += len(items)
			for _, it := range items {
				if t, ok := it.(T); ok && matches(t, kind, p) {
					all = append(all, t)
				}
			}
			return scanned <= MaxScan
		})
		if err != nil {
			return List[T]{}, err
		}
	}
	if scanned > MaxScan {
		return List[T]{}, invalid(CodeInvalidQuery, "q", "This collection is too large to filter or sort (more than %d items); filter by exact username or email, or page without filters.", MaxScan)
	}
	sortStates(all, p)
	return pageOf(all, p), nil
}

// listQuery answers a list of a Searchable kind: a page read when
// unfiltered, else the whole collection filtered (see filtered).
func listQuery[T Searchable](ctx context.Context, s *Service, kind, collection string, p Page) (List[T], error) {
	p, err := p.Normalize()
	if err != nil {
		return List[T]{}, err
	}
	if err := checkQuery(kind, p); err != nil {
		return List[T]{}, err
	}
	if !p.Filtered() {
		return list[T](ctx, s, collection, p)
	}
	return filtered[T](ctx, s, kind, p, collection)
}

// refuseQuery is for collections without searchable items (memberships):
// any filter or order other than their own is a bad query.
func refuseQuery(p Page) error {
	if p.Filtered() {
		return invalid(CodeInvalidQuery, "q", "This collection can be paged, not filtered or sorted.")
	}
	return nil
}

// exactIdentity returns the exact (wildcard-free) username or email
// filter of p, if it has one.
func exactIdentity(p Page) (Match, bool) {
	for _, m := range p.Match {
		if (m.Attr == "username" || m.Attr == "email") && !strings.Contains(m.Value, "*") {
			return m, true
		}
	}
	return Match{}, false
}

// accountsByIdentity answers an application's accounts filtered by an
// exact username or email from the directory's uniqueness guard: one
// guard read and one account read, whatever the directory's size. The
// rest of the query applies to that one account.
func accountsByIdentity(ctx context.Context, s *Service, app *Application, m Match, p Page) (List[*Account], error) {
	suffix := "/" + m.Attr + "/"
	if m.Attr == "username" {
		suffix += usernameKey(m.Value)
	} else {
		suffix += emailKey(m.Value)
	}
	acc, err := s.findByGuards(ctx, app, func(ctx context.Context, st Store, app *Application, acc *Account, _ *Directory) (bool, error) {
		return mapped(ctx, st, app, acc)
	}, suffix)
	if err != nil {
		return List[*Account]{}, err
	}
	var found []*Account
	if acc != nil && matches(acc, KindAccount, p) {
		found = append(found, acc)
	}
	return pageOf(found, p), nil
}

// resolveQuery answers a filtered list of the accounts in a group or the
// groups of an account: every membership (at most MaxScan), the targets
// in batches of MaxLimit, then filter, sort and page.
func resolveQuery[T Searchable](ctx context.Context, s *Service, c Caller, kind, collection string, p Page, target func(*Membership) Ref) (List[T], error) {
	ms, err := listAll(ctx, s, collection, MaxScan)
	if err != nil {
		return List[T]{}, err
	}
	if len(ms) > MaxScan {
		return List[T]{}, invalid(CodeInvalidQuery, "q", "This collection is too large to filter or sort (more than %d items).", MaxScan)
	}
	var all []T
	for batch := range slices.Chunk(ms, MaxLimit) {
		refs := make([]Ref, 0, len(batch))
		for _, st := range batch {
			if m, ok := st.(*Membership); ok {
				refs = append(refs, target(m))
			}
		}
		states, err := s.Store.LoadMany(ctx, refs)
		if err != nil {
			return List[T]{}, err
		}
		for _, st := range states {
			if t, ok := st.(T); ok && !st.Deleted() && st.TenantID() == c.TenantID && matches(t, kind, p) {
				all = append(all, t)
			}
		}
	}
	sortStates(all, p)
	return pageOf(all, p), nil
}

// checkResolved normalizes and checks the query of a list resolved
// through memberships.
func checkResolved(kind string, p *Page) error {
	n, err := p.Normalize()
	if err != nil {
		return err
	}
	*p = n
	return checkQuery(kind, n)
}
