package domain

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Caller is who issues a command, as established by the authorizer, plus
// request-scoped details the log keeps.
type Caller struct {
	TenantID  string
	AccountID string
	KeyID     string
	Admin     bool
	// Session is set for a password grant's token (its refresh token
	// id): the caller acts for AccountID alone. It may read that account
	// and manage its API keys, change its profile and password
	// (console.go) and end its own session; everything else is
	// ErrNotFound, as if it did not exist (see selfOrAdmin).
	Session   string
	RequestID string
	// IdempotencyKey and Fingerprint are set for requests that carry an
	// Idempotency-Key header; Fingerprint identifies the request so that a
	// reuse of the key for a different request is refused.
	IdempotencyKey string
	Fingerprint    string
	// LinkBase is the API's public base URL as this request is served
	// (e.g. https://api.example.com/prod): the default base of the links
	// that mails carry, when the application's policy sets none.
	LinkBase string
	// Application is set for a public caller: one with no key, no
	// session, no AccountID and Admin false, acting for this one application of TenantID (the
	// developer console's pages before sign-in). It may use the anonymous
	// account flows of that application (anonApp) and SignUp; it never
	// passes requireAdmin or selfOrAdmin.
	Application string
	// Via names the actor of a caller that is neither a key nor a
	// session (e.g. "console"), for the events it records.
	Via string
	// Pages, when set, are the pages the mails of this request link to,
	// in place of the policy's linkBaseUrl and LinkBase: the console's
	// own reset and verification pages take the token from there.
	Pages LinkPages
}

// LinkPages are the pages a mail's link opens, each with
// ?sptoken=<token> appended (tokenLink); "" leaves the policy's link.
type LinkPages struct{ Reset, Verify string }

// public reports a public caller (see Caller.Application). Anything that
// also carries a key, a session or Admin is not one: it is judged as
// that, never widened by Application.
func (c Caller) public() bool {
	return c.Application != "" && c.TenantID != "" && !c.Admin && c.KeyID == "" && c.Session == "" && c.AccountID == ""
}

func (c Caller) meta() events.Meta {
	actor := ""
	switch {
	case c.KeyID != "":
		actor = "apikey/" + c.KeyID
	case c.Session != "":
		actor = "session/" + c.Session
	case c.Via != "":
		actor = c.Via
	}
	return events.Meta{Tenant: c.TenantID, Actor: actor, RequestID: c.RequestID}
}

// Service runs the management commands and queries.
type Service struct {
	Store  Store
	Clock  Clock
	IDs    IDGenerator
	Rand   io.Reader
	Hasher PasswordHasher
	Policy PasswordPolicy
	// Retries is how often a command is retried after a version conflict
	// before ErrVersionConflict is returned (default 3).
	Retries int
	// SweepBatches bounds the sweep batches a delete request runs after
	// its parent's delete committed (default DefaultSweepBatches); the
	// rest is Sweep's (sweep.go).
	SweepBatches int
	// SweepHook, when set, is called after each commit of a sweep: batch
	// 0 is the parent's own delete (from the delete request), then 1, 2,
	// ... per batch of parent's children. An error stops the sweep there,
	// as a crash would; tests use it to look between commits.
	SweepHook func(ctx context.Context, parent Ref, batch int) error
	// Usage holds per-key verification counts (lastUsedAt, the usage
	// endpoint); nil answers none.
	Usage UsageStore
	// Log reads the event log back: the audit log, key history and
	// point-in-time reads (nil answers them ErrUnavailable).
	Log EventLog
	// Throttle slows down sources that keep failing login attempts (see
	// Login); nil gives the service one of its own, on its Clock, at the
	// first login.
	Throttle *Throttle
	// SignUps counts sign-ups per source (SignUp); nil gives the service
	// one of its own with DefaultSignUpThrottle, as for Throttle.
	SignUps *Throttle

	// Mailer sends the password reset and email verification mails. It
	// may be nil: then every request that must mail fails with
	// ErrNoMailer (and nothing is written), whatever the address.
	Mailer Mailer
	// MailFloor is the least time a password reset request or a
	// verification resend takes, so that an address with an account
	// (a write and a mail) and one without (neither) answer alike: both
	// are held until MailFloor has passed since they began, by the
	// Clock, through Sleep. Zero, or a nil Sleep, pads nothing.
	MailFloor time.Duration
	Sleep     func(ctx context.Context, d time.Duration)

	// loginSt is made at the first login, under loginMu: a pointer, so
	// that a Service stays copyable (a copy shares it).
	loginSt *loginState
}

// NewService wires a Service with production defaults for whatever is nil.
func NewService(store Store) *Service {
	return &Service{
		Store:  store,
		Clock:  SystemClock,
		IDs:    RandomIDs{},
		Rand:   rand.Reader,
		Hasher: DefaultArgon2id,
		Policy: DefaultPasswordPolicy,
		// Only the wiring names the wall clock's timers, as its Clock.
		MailFloor: DefaultMailFloor,
		Sleep:     SleepContext,
	}
}

// SleepContext waits d or until ctx ends: the production Service.Sleep.
func SleepContext(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// now keeps full clock precision: creation times order collections, and
// millisecond ties would fall back to the random id.
func (s *Service) now() time.Time { return s.Clock.Now().UTC() }

// recorder collects the changes of one command.
type recorder struct {
	s      *Service
	meta   events.Meta
	at     time.Time
	commit Commit
}

func (s *Service) newRecorder(c Caller) *recorder {
	return &recorder{s: s, meta: c.meta(), at: s.now()}
}

// record appends evs to the stream of after (whose current contents equal
// before, or which is empty when before is nil), applying each as it goes.
func (r *recorder) record(ref Ref, before, after State, evs ...events.Event) error {
	ch := Change{Before: before, After: after}
	for _, e := range evs {
		env, err := events.Encode(ref.Stream(), after.Version()+1, r.at, r.meta, e)
		if err != nil {
			return err
		}
		if err := after.Apply(env); err != nil {
			return err
		}
		ch.Events = append(ch.Events, env)
	}
	r.commit.Changes = append(r.commit.Changes, ch)
	return nil
}

func (r *recorder) check(st State) {
	r.commit.Checks = append(r.commit.Checks, Check{Ref: st.Ref()})
}

// size bounds the number of items the commit will touch, as a Store
// counts them: the idempotency record; per change its events, its state
// and its guards; one count per parent the commit counts under without
// changing it; and the checks not folded into such a count.
func (r *recorder) size() int {
	n := 1
	changed := map[Ref]bool{}
	for _, ch := range r.commit.Changes {
		changed[ch.After.Ref()] = true
		n += len(ch.Events) + 1
		if ch.Before != nil {
			n += len(ch.Before.UniqueKeys())
		}
		n += len(ch.After.UniqueKeys())
	}
	counted := map[Ref]bool{}
	for _, d := range ChildDeltas(r.commit.Changes) {
		if !changed[d.Parent] {
			counted[d.Parent] = true
			n++
		}
	}
	for _, chk := range r.commit.Checks {
		if !counted[chk.Ref] {
			n++
		}
	}
	return n
}

// run executes a command with idempotency and optimistic retries. build
// loads fresh state, decides, and records; it returns the aggregate that
// the request is about.
func run[T State](ctx context.Context, s *Service, c Caller, build func(r *recorder) (T, error)) (T, error) {
	var zero T
	if c.IdempotencyKey != "" {
		if st, found, err := s.replay(ctx, c); err != nil || found {
			if err != nil {
				return zero, err
			}
			out, ok := st.(T)
			if !ok {
				return zero, E(KindUnprocessable, CodeIdempotencyReuse, "Idempotency-Key", "This Idempotency-Key was used for a different request.")
			}
			return out, nil
		}
	}
	retries := s.Retries
	if retries <= 0 {
		retries = 3
	}
	for attempt := 0; ; attempt++ {
		r := s.newRecorder(c)
		out, err := build(r)
		if err != nil {
			return zero, err
		}
		if r.size() > MaxCommitItems {
			return zero, E(KindConflict, CodeHasDependents, "", "This change touches too many resources at once; remove dependent resources first.")
		}
		if c.IdempotencyKey != "" {
			r.commit.Idem = &IdemRecord{Key: c.TenantID + "/" + c.IdempotencyKey, Fingerprint: c.Fingerprint, Result: out.Ref(), ResultVersion: out.Version(), At: r.at}
		}
		err = s.Store.Commit(ctx, r.commit)
		if err == nil {
			return out, nil
		}
		var uv *UniqueViolation
		var cf *CheckFailed
		var ir *IdempotencyReplay
		switch {
		case errors.As(err, &uv):
			return zero, uniqueError(r.commit, uv.Key)
		case errors.As(err, &cf):
			return zero, ErrNotFound
		case errors.As(err, &ir):
			// A concurrent request with the same key won the race, or an
			// expired record is still waiting for DynamoDB's lazy TTL
			// sweep: replay the winner, or try again.
			st, found, rerr := s.replay(ctx, c)
			if rerr != nil {
				return zero, rerr
			}
			if !found && attempt < retries {
				continue
			}
			if out, ok := st.(T); ok {
				return out, nil
			}
			return zero, E(KindUnprocessable, CodeIdempotencyReuse, "Idempotency-Key", "This Idempotency-Key was used for a different request.")
		case errors.Is(err, ErrVersionConflict) && attempt < retries:
			continue
		}
		return zero, err
	}
}

// replay returns the result of an earlier request with the same key.
func (s *Service) replay(ctx context.Context, c Caller) (State, bool, error) {
	rec, err := s.Store.Idempotency(ctx, c.TenantID+"/"+c.IdempotencyKey, s.Clock.Now())
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if rec.Fingerprint != c.Fingerprint {
		return nil, true, E(KindUnprocessable, CodeIdempotencyReuse, "Idempotency-Key", "This Idempotency-Key was used for a different request.")
	}
	st, err := NewState(rec.Result.Kind)
	if err != nil {
		return nil, true, err
	}
	if err := s.Store.Load(ctx, rec.Result, st); err != nil {
		return nil, true, err
	}
	if st.Deleted() && st.Version() != rec.ResultVersion {
		// The first request's result has been deleted since: it cannot be
		// returned as a success. (A retried delete replays its tombstone.)
		return nil, true, ErrNotFound
	}
	return st, true, nil
}

func uniqueError(c Commit, key string) error {
	for _, ch := range c.Changes {
		for _, u := range ch.After.UniqueKeys() {
			if u.Key == key {
				return E(KindConflict, CodeNotUnique, u.Field, "A resource with this %s already exists.", u.Field)
			}
		}
	}
	return E(KindConflict, CodeNotUnique, "", "A resource with these properties already exists.")
}

// load reads an aggregate of the caller's tenant. Another tenant's
// resource and a deleted one look exactly like a missing one.
func load[T State](ctx context.Context, s *Service, c Caller, kind, id string) (T, error) {
	var zero T
	if id == "" || len(id) > 64 {
		return zero, ErrNotFound
	}
	st, err := NewState(kind)
	if err != nil {
		return zero, err
	}
	if err := s.Store.Load(ctx, Ref{kind, id}, st); err != nil {
		return zero, err
	}
	if st.Deleted() || st.TenantID() != c.TenantID {
		return zero, ErrNotFound
	}
	if err := lineageLive(ctx, s.Store, st); err != nil {
		return zero, err
	}
	return st.(T), nil
}

// lineage names what a state lives under, as far as it knows: a key its
// account and application, other children their parents.
func lineage(st State) []Ref {
	switch v := st.(type) {
	case *APIKey:
		if v.ApplicationID == "" {
			// A key of an account in a shared directory: the
			// account's own lineage follows.
			return []Ref{{KindAccount, v.AccountID}}
		}
		return []Ref{{KindAccount, v.AccountID}, {KindApplication, v.ApplicationID}}
	case *RefreshToken:
		return []Ref{{KindAccount, v.AccountID}, {KindApplication, v.ApplicationID}}
	case *IssuedToken:
		return []Ref{{KindAccount, v.AccountID}, {KindApplication, v.ApplicationID}}
	case Child:
		return v.Parents()
	}
	return nil
}

// lineageLive answers ErrNotFound for a child of a deleted parent, at any
// depth: a parent deleted with a large cascade (sweep.go) is gone at once,
// and so is everything under it, while the sweep still deletes the
// children batch by batch. One LoadMany per generation (a membership's
// application is two up), none for states that live under nothing.
func lineageLive(ctx context.Context, store Store, st State) error {
	seen := map[Ref]bool{}
	next := lineage(st)
	for len(next) > 0 {
		for _, r := range next {
			seen[r] = true
		}
		states, err := store.LoadMany(ctx, next)
		if err != nil {
			return err
		}
		if len(states) != len(next) {
			return ErrNotFound
		}
		var up []Ref
		for _, p := range states {
			if p.Deleted() || p.TenantID() != st.TenantID() {
				return ErrNotFound
			}
			for _, r := range lineage(p) {
				// An account and a group share their application: ask
				// for it once, or the count check below misreads it.
				if !seen[r] && !slices.Contains(up, r) {
					up = append(up, r)
				}
			}
		}
		next = up
	}
	return nil
}

// Page selects part of a collection. After, when set, is the SortKey
// of the last item of the page before (from List.Next): the store seeks
// to it, so a deep page costs what the first does. Offset then only
// labels the page for clients that count; without After, Offset skips
// items one by one, Stormpath's way, at a cost that grows with it.
type Page struct {
	Offset int
	Limit  int
	After  string
	// Q, Match, CreatedAt, ModifiedAt and OrderBy are Stormpath's
	// collection queries (query.go).
	Q                     string
	Match                 []Match
	CreatedAt, ModifiedAt TimeRange
	OrderBy               []Order
}

// Pagination bounds.
const (
	DefaultLimit = 25
	MaxLimit     = 100
)

// Normalize applies defaults and bounds.
func (p Page) Normalize() (Page, error) {
	if p.Offset < 0 {
		return p, invalid(CodeInvalidQuery, "offset", "offset must be 0 or more.")
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		return p, invalid(CodeInvalidQuery, "limit", "limit must be between 1 and %d.", MaxLimit)
	}
	if p.After != "" && p.Filtered() {
		return p, invalid(CodeInvalidQuery, "after", "after pages an unfiltered list; a filtered or sorted list pages by offset.")
	}
	if p.After != "" && !ValidSortKey(p.After) {
		return p, invalid(CodeInvalidQuery, "after", "after is not a position this server gave out; follow the collection's next link.")
	}
	return p, nil
}

// List is one page of a collection and the collection's total size.
// Next, when more items follow, is the SortKey of the page's last item:
// the After of the next page.
type List[T State] struct {
	Items  []T
	Offset int
	Limit  int
	Size   int
	Next   string
	// More is set when items follow but the list has no position to
	// seek to (a filtered or sorted list): the next page is by offset.
	More bool
}

// list reads one item more than the page holds, so that Next is set
// exactly when another page follows, whatever Offset a client sent.
func list[T State](ctx context.Context, s *Service, collection string, p Page) (List[T], error) {
	p, err := p.Normalize()
	if err != nil {
		return List[T]{}, err
	}
	var items []State
	var total int
	if p.After != "" {
		items, total, err = s.Store.ListAfter(ctx, collection, p.After, p.Limit+1)
	} else {
		items, total, err = s.Store.List(ctx, collection, p.Offset, p.Limit+1)
	}
	if err != nil {
		return List[T]{}, err
	}
	out := List[T]{Offset: p.Offset, Limit: p.Limit, Size: total}
	if len(items) > p.Limit {
		items = items[:p.Limit]
		out.Next = items[p.Limit-1].SortKey()
	}
	out.Items = make([]T, 0, len(items))
	for _, it := range items {
		if t, ok := it.(T); ok {
			out.Items = append(out.Items, t)
		}
	}
	return out, nil
}

// listAll reads a whole collection, for cascades, a keyset page at a
// time; it stops early once more than max items are seen, since such a
// commit could not happen.
func listAll(ctx context.Context, s *Service, collection string, max int) ([]State, error) {
	var out []State
	err := eachPage(ctx, s.Store, collection, func(items []State) bool {
		out = append(out, items...)
		return len(out) <= max
	})
	return out, err
}

// eachPage hands each page of a collection to fn, in creation order,
// until the collection ends or fn returns false.
func eachPage(ctx context.Context, st Store, collection string, fn func([]State) bool) error {
	after := ""
	for {
		items, _, err := st.ListAfter(ctx, collection, after, MaxLimit)
		if err != nil {
			return err
		}
		if len(items) == 0 || !fn(items) || len(items) < MaxLimit {
			return nil
		}
		after = items[len(items)-1].SortKey()
	}
}

// requireAdmin lets only admin keys and tokens through. A session's
// caller gets ErrNotFound: what it may not reach does not exist for it,
// so it cannot learn which ids are real.
func requireAdmin(c Caller) error {
	if c.Session != "" {
		return ErrNotFound
	}
	// A caller acting for one application is never an admin, whatever
	// else it carries.
	if !c.Admin || c.TenantID == "" || c.Application != "" {
		return ErrForbidden
	}
	return nil
}

// selfOrAdmin lets an admin through, and a session's caller for its own
// account only.
func selfOrAdmin(c Caller, accountID string) error {
	if c.Session != "" {
		if c.TenantID == "" || c.AccountID == "" || accountID != c.AccountID {
			return ErrNotFound
		}
		return nil
	}
	return requireAdmin(c)
}

// ownKey refuses a session's caller a key of another account.
func ownKey(c Caller, k *APIKey) error {
	if c.Session != "" && k.AccountID != c.AccountID {
		return ErrNotFound
	}
	return nil
}
