package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// RunEventLog runs the domain.EventLog contract against stores made by
// newStore, which must return a fresh, empty store and the log reading
// it back, for each subtest. Like Run, it runs once per date of Epochs.
func RunEventLog(t *testing.T, newStore func(t *testing.T) (domain.Store, domain.EventLog)) {
	for _, e := range Epochs() {
		t.Run(e.Name, func(t *testing.T) { runEventLogAt(t, e.At, newStore) })
	}
}

func runEventLogAt(t *testing.T, at time.Time, newStore func(t *testing.T) (domain.Store, domain.EventLog)) {
	tests := []struct {
		name string
		fn   func(*testing.T, *logFixture)
	}{
		{"StreamInVersionOrder", testLogStream},
		{"TenantsNeverCross", testLogTenants},
		{"NewestFirst", testLogNewestFirst},
		{"Filters", testLogFilters},
		{"TimeBounds", testLogTimeBounds},
		{"PagingWalksEveryEventOnce", testLogPaging},
		{"BadCursor", testLogBadCursor},
		{"EmptyMetaBelongsToTheAggregatesTenant", testLogEmptyMeta},
		{"LongStreamInVersionOrder", testLogLongStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, log := newStore(t)
			f := &fixture{t: t, ctx: context.Background(), st: st, at: at}
			lf := &logFixture{fixture: f, log: log, t0: at}
			lf.seed()
			tt.fn(t, lf)
		})
	}
}

// logged is a committed event and the tenant it belongs to.
type logged struct {
	tenant string
	env    events.Envelope
}

// logFixture commits a small log across two tenants and remembers every
// event, so each test derives what the store must answer from the
// events themselves rather than from a second copy of the ordering.
type logFixture struct {
	*fixture
	log domain.EventLog
	t0  time.Time
	all []logged

	tenantA, tenantB string
	appA1, appA2     domain.Ref
	appB             domain.Ref
}

const (
	typeAppCreated = "application.created.v1"
	typeAppUpdated = "application.updated.v1"
	typeAppDeleted = "application.deleted.v1"
)

// put commits evs to ref's stream, all at the same time and with the
// same meta, and returns the new state.
func (l *logFixture) put(ref domain.Ref, before domain.State, at time.Time, meta events.Meta, evs ...events.Event) domain.State {
	l.t.Helper()
	after := clone(l.t, ref.Kind, before)
	ch := domain.Change{Before: before, After: after}
	for _, e := range evs {
		env, err := events.Encode(ref.Stream(), after.Version()+1, at, meta, e)
		if err != nil {
			l.t.Fatal(err)
		}
		if err := after.Apply(env); err != nil {
			l.t.Fatal(err)
		}
		ch.Events = append(ch.Events, env)
	}
	l.commitChanges(ch)
	for _, env := range ch.Events {
		l.all = append(l.all, logged{tenant: after.TenantID(), env: env})
	}
	return after
}

// seed writes the log every test reads. Its times are chosen so that
// text order of RFC3339Nano would be wrong ("…:00Z" after "…:00.1Z"),
// and several events share a time, so that the stream and version
// tie-breaks decide.
func (l *logFixture) seed() {
	t0 := l.t0
	l.tenantA, l.tenantB = "tntA000000000000000001", "tntB000000000000000001"
	alice := func(tenant string) events.Meta {
		return events.Meta{Tenant: tenant, Actor: "alice", RequestID: "req-a"}
	}
	bob := func(tenant string) events.Meta { return events.Meta{Tenant: tenant, Actor: "bob", RequestID: "req-b"} }
	app := func(tenant, id string, at time.Time, meta events.Meta) (domain.Ref, domain.State) {
		ref := domain.Ref{Kind: domain.KindApplication, ID: id}
		return ref, l.put(ref, nil, at, meta, events.ApplicationCreated{
			ID: id, TenantID: tenant, DirectoryID: "dir" + id, Name: "app " + id, Status: domain.StatusEnabled,
		})
	}
	upd := func(name string) events.Event {
		return events.ApplicationUpdated{Name: name, Status: domain.StatusEnabled}
	}

	// Tenant A: its own stream and an application at one time.
	l.put(domain.Ref{Kind: domain.KindTenant, ID: l.tenantA}, nil, t0, alice(l.tenantA), events.TenantCreated{ID: l.tenantA, Name: "A"})
	var a1, a2, b domain.State
	l.appA1, a1 = app(l.tenantA, "appA1", t0, alice(l.tenantA))
	// Two events of one change at one time: version decides.
	a1 = l.put(l.appA1, a1, t0.Add(100*time.Millisecond), bob(l.tenantA), upd("one"), upd("two"))
	// Tenant B in between, and at the same time as A's second app.
	l.put(domain.Ref{Kind: domain.KindTenant, ID: l.tenantB}, nil, t0.Add(500*time.Millisecond), alice(l.tenantB), events.TenantCreated{ID: l.tenantB, Name: "B"})
	l.appA2, a2 = app(l.tenantA, "appA2", t0.Add(time.Second), alice(l.tenantA))
	l.appB, b = app(l.tenantB, "appB", t0.Add(time.Second), alice(l.tenantB))
	a2 = l.put(l.appA2, a2, t0.Add(time.Second+time.Nanosecond), bob(l.tenantA), upd("three"))
	l.put(l.appB, b, t0.Add(time.Second+time.Nanosecond), bob(l.tenantB), upd("four"))
	a1 = l.put(l.appA1, a1, t0.Add(1500*time.Millisecond), alice(l.tenantA), upd("five"))
	// A change without Meta, as a sweep commits: the log must still
	// file it under the aggregate's tenant.
	l.put(l.appA2, a2, t0.Add(2*time.Second), events.Meta{}, events.ApplicationDeleted{})
	l.put(l.appA1, a1, t0.Add(3*time.Second), bob(l.tenantA), upd("six"))
}

// want returns the events of tenant that keep says to keep, in the
// order Events lists them: At, then stream, then version, descending.
func (l *logFixture) want(tenant string, keep func(events.Envelope) bool) []events.Envelope {
	var out []events.Envelope
	for _, e := range l.all {
		if e.tenant == tenant && (keep == nil || keep(e.env)) {
			out = append(out, e.env)
		}
	}
	slices.SortFunc(out, func(a, b events.Envelope) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := strings.Compare(b.Stream, a.Stream); c != 0 {
			return c
		}
		return int(b.Version - a.Version)
	})
	return out
}

// walk pages through a query to its end and returns every event. Each
// page may be short, but never longer than the limit; the walk fails
// on an event seen twice or on a listing that does not end.
func (l *logFixture) walk(q domain.EventQuery) []events.Envelope {
	l.t.Helper()
	var out []events.Envelope
	seen := map[string]bool{}
	max := q.Limit
	if max <= 0 {
		max = domain.DefaultLimit
	}
	for pages := 0; ; pages++ {
		if pages > 500 {
			l.t.Fatalf("%+v: the listing does not end", q)
		}
		page, err := l.log.Events(l.ctx, q)
		if err != nil {
			l.t.Fatalf("events %+v: %v", q, err)
		}
		if len(page.Events) > max {
			l.t.Fatalf("%+v: a page of %d events, limit %d", q, len(page.Events), max)
		}
		for _, env := range page.Events {
			k := fmt.Sprintf("%s v%d", env.Stream, env.Version)
			if seen[k] {
				l.t.Fatalf("%+v: %s listed twice", q, k)
			}
			seen[k] = true
			out = append(out, env)
		}
		if page.Next == "" {
			return out
		}
		q.After = page.Next
	}
}

// sameEvents fails unless got is want, event for event and field for
// field.
func sameEvents(t *testing.T, what string, want, got []events.Envelope) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d events, want %d:\n got %s\nwant %s", what, len(got), len(want), keys(got), keys(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Stream != g.Stream || w.Version != g.Version || w.Type != g.Type || !w.At.Equal(g.At) || w.Meta != g.Meta || !bytes.Equal(w.Data, g.Data) {
			t.Fatalf("%s: event %d is %s v%d %s %s %+v %s, want %s v%d %s %s %+v %s\n got %s\nwant %s", what, i,
				g.Stream, g.Version, g.Type, g.At.Format(time.RFC3339Nano), g.Meta, g.Data,
				w.Stream, w.Version, w.Type, w.At.Format(time.RFC3339Nano), w.Meta, w.Data, keys(got), keys(want))
		}
	}
}

func keys(envs []events.Envelope) string {
	ks := make([]string, len(envs))
	for i, e := range envs {
		ks[i] = fmt.Sprintf("%s/v%d@%s", e.Stream, e.Version, e.At.Format("05.000000000"))
	}
	return strings.Join(ks, " ")
}

func testLogStream(t *testing.T, l *logFixture) {
	var want []events.Envelope
	for _, e := range l.all {
		if e.env.Stream == l.appA1.Stream() {
			want = append(want, e.env)
		}
	}
	if len(want) < 4 {
		t.Fatalf("the seed wrote %d events to %s", len(want), l.appA1.Stream())
	}
	got, err := l.log.Stream(l.ctx, l.appA1.Stream())
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "stream", want, got)
	got, err = l.log.Stream(l.ctx, "application#never")
	if err != nil || len(got) != 0 {
		t.Fatalf("a stream that never existed: %v %v", keys(got), err)
	}
}

func testLogTenants(t *testing.T, l *logFixture) {
	for _, tenant := range []string{l.tenantA, l.tenantB} {
		got := l.walk(domain.EventQuery{Tenant: tenant, Limit: domain.MaxLimit})
		sameEvents(t, tenant, l.want(tenant, nil), got)
		// The tenant's own stream is in its log.
		if !slices.ContainsFunc(got, func(e events.Envelope) bool { return e.Stream == domain.KindTenant+"#"+tenant }) {
			t.Fatalf("%s: its own stream is not in its log", tenant)
		}
	}
	// Naming another tenant's stream finds nothing.
	if got := l.walk(domain.EventQuery{Tenant: l.tenantB, Stream: l.appA1.Stream()}); len(got) != 0 {
		t.Fatalf("tenant B reads tenant A's stream: %s", keys(got))
	}
	if got := l.walk(domain.EventQuery{Tenant: "tntNobody0000000000001"}); len(got) != 0 {
		t.Fatalf("a tenant without events: %s", keys(got))
	}
}

func testLogNewestFirst(t *testing.T, l *logFixture) {
	page, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: domain.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	want := l.want(l.tenantA, nil)
	sameEvents(t, "newest first", want, page.Events)
	if page.Next != "" {
		t.Fatalf("the whole log fits one page, yet Next is %q", page.Next)
	}
	// Spelled out, so that a mistake shared by want and the store
	// still fails: the last event first; at the first time, the
	// tenant's stream sorts above its application's ("tenant#" >
	// "application#"), so the application's creation is listed last.
	if want[0].Stream != l.appA1.Stream() || want[0].Version != 5 {
		t.Fatalf("newest event %s v%d, want %s v5", want[0].Stream, want[0].Version, l.appA1.Stream())
	}
	n := len(want)
	if want[n-1].Stream != l.appA1.Stream() || want[n-1].Version != 1 || want[n-2].Stream != domain.KindTenant+"#"+l.tenantA {
		t.Fatalf("oldest events %s v%d, %s v%d: want the tenant's, then the application's creation",
			want[n-2].Stream, want[n-2].Version, want[n-1].Stream, want[n-1].Version)
	}
	// One change's two events at one time: version descending.
	for i := 0; i+1 < len(want); i++ {
		if want[i].Stream == want[i+1].Stream && want[i].At.Equal(want[i+1].At) && want[i].Version < want[i+1].Version {
			t.Fatalf("version %d listed before %d", want[i].Version, want[i+1].Version)
		}
	}
}

func testLogFilters(t *testing.T, l *logFixture) {
	t0 := l.t0
	isType := func(types ...string) func(events.Envelope) bool {
		return func(e events.Envelope) bool { return slices.Contains(types, e.Type) }
	}
	and := func(fs ...func(events.Envelope) bool) func(events.Envelope) bool {
		return func(e events.Envelope) bool {
			for _, f := range fs {
				if !f(e) {
					return false
				}
			}
			return true
		}
	}
	stream := func(s string) func(events.Envelope) bool {
		return func(e events.Envelope) bool { return e.Stream == s }
	}
	actor := func(a string) func(events.Envelope) bool {
		return func(e events.Envelope) bool { return e.Meta.Actor == a }
	}
	between := func(from, to time.Time) func(events.Envelope) bool {
		return func(e events.Envelope) bool {
			return (from.IsZero() || !e.At.Before(from)) && (to.IsZero() || e.At.Before(to))
		}
	}
	cases := []struct {
		name string
		q    domain.EventQuery
		keep func(events.Envelope) bool
		min  int // the seed has at least this many matches
	}{
		{"stream", domain.EventQuery{Stream: l.appA1.Stream()}, stream(l.appA1.Stream()), 5},
		{"type", domain.EventQuery{Types: []string{typeAppUpdated}}, isType(typeAppUpdated), 5},
		{"types", domain.EventQuery{Types: []string{typeAppCreated, typeAppDeleted}}, isType(typeAppCreated, typeAppDeleted), 3},
		{"type none", domain.EventQuery{Types: []string{"no.such.type.v1"}}, isType("no.such.type.v1"), 0},
		{"types many", domain.EventQuery{Types: manyTypes(typeAppDeleted)}, isType(typeAppDeleted), 1},
		{"actor", domain.EventQuery{Actor: "bob"}, actor("bob"), 4},
		{"from", domain.EventQuery{From: t0.Add(time.Second)}, between(t0.Add(time.Second), time.Time{}), 5},
		{"to", domain.EventQuery{To: t0.Add(time.Second)}, between(time.Time{}, t0.Add(time.Second)), 4},
		{"from to", domain.EventQuery{From: t0.Add(100 * time.Millisecond), To: t0.Add(2 * time.Second)}, between(t0.Add(100*time.Millisecond), t0.Add(2*time.Second)), 5},
		{"type actor", domain.EventQuery{Types: []string{typeAppUpdated}, Actor: "alice"}, and(isType(typeAppUpdated), actor("alice")), 1},
		{"stream type actor", domain.EventQuery{Stream: l.appA1.Stream(), Types: []string{typeAppUpdated}, Actor: "bob"}, and(stream(l.appA1.Stream()), isType(typeAppUpdated), actor("bob")), 3},
		{"stream from to", domain.EventQuery{Stream: l.appA1.Stream(), From: t0.Add(100 * time.Millisecond), To: t0.Add(3 * time.Second)},
			and(stream(l.appA1.Stream()), between(t0.Add(100*time.Millisecond), t0.Add(3*time.Second))), 3},
		{"all filters", domain.EventQuery{Types: []string{typeAppUpdated, typeAppCreated}, Actor: "alice", From: t0, To: t0.Add(1500 * time.Millisecond)},
			and(isType(typeAppUpdated, typeAppCreated), actor("alice"), between(t0, t0.Add(1500*time.Millisecond))), 2},
	}
	for _, c := range cases {
		want := l.want(l.tenantA, c.keep)
		if len(want) < c.min {
			t.Fatalf("%s: the seed has %d matches, the case needs %d", c.name, len(want), c.min)
		}
		for _, limit := range []int{2, domain.MaxLimit} {
			q := c.q
			q.Tenant, q.Limit = l.tenantA, limit
			sameEvents(t, fmt.Sprintf("%s, limit %d", c.name, limit), want, l.walk(q))
		}
	}
}

func testLogTimeBounds(t *testing.T, l *logFixture) {
	// From is an event's exact time and To another's: the first is in,
	// the second out.
	from, to := l.t0.Add(time.Second), l.t0.Add(2*time.Second)
	got := l.walk(domain.EventQuery{Tenant: l.tenantA, From: from, To: to, Limit: 3})
	has := func(at time.Time) bool {
		return slices.ContainsFunc(got, func(e events.Envelope) bool { return e.At.Equal(at) })
	}
	if !has(from) {
		t.Fatalf("From is exclusive: %s", keys(got))
	}
	if has(to) {
		t.Fatalf("To is inclusive: %s", keys(got))
	}
	for _, e := range got {
		if e.At.Before(from) || !e.At.Before(to) {
			t.Fatalf("event at %s outside [%s, %s)", e.At, from, to)
		}
	}
	// An empty range and a range past the log.
	if got := l.walk(domain.EventQuery{Tenant: l.tenantA, From: from, To: from}); len(got) != 0 {
		t.Fatalf("From = To: %s", keys(got))
	}
	if got := l.walk(domain.EventQuery{Tenant: l.tenantA, From: to, To: from}); len(got) != 0 {
		t.Fatalf("From after To: %s", keys(got))
	}
	if got := l.walk(domain.EventQuery{Tenant: l.tenantA, Stream: l.appA1.Stream(), From: to, To: from}); len(got) != 0 {
		t.Fatalf("From after To, one stream: %s", keys(got))
	}
	if got := l.walk(domain.EventQuery{Tenant: l.tenantA, From: l.t0.Add(time.Hour)}); len(got) != 0 {
		t.Fatalf("after the last event: %s", keys(got))
	}
}

func testLogPaging(t *testing.T, l *logFixture) {
	want := l.want(l.tenantA, nil)
	for _, limit := range []int{1, 2, 3, 5, len(want), len(want) + 1} {
		sameEvents(t, fmt.Sprintf("limit %d", limit), want, l.walk(domain.EventQuery{Tenant: l.tenantA, Limit: limit}))
	}
	// Limit 1 with a filter that skips most of the log.
	keep := func(e events.Envelope) bool { return e.Meta.Actor == "" }
	sameEvents(t, "an actor without events, limit 1", nil, l.walk(domain.EventQuery{Tenant: l.tenantA, Actor: "nobody", Limit: 1}))
	if w := l.want(l.tenantA, keep); len(w) != 1 {
		t.Fatalf("the seed has %d events without an actor", len(w))
	}
	// No limit is the default; more than MaxLimit is at most MaxLimit.
	for _, limit := range []int{0, -1, domain.MaxLimit + 1} {
		page, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: limit})
		if err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
		if len(page.Events) > domain.MaxLimit {
			t.Fatalf("limit %d: %d events", limit, len(page.Events))
		}
	}
	// A first page of one names a cursor, and that cursor resumes just
	// after the event.
	page, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: 1})
	if err != nil || len(page.Events) != 1 || page.Next == "" {
		t.Fatalf("first page of one: %s next %q %v", keys(page.Events), page.Next, err)
	}
	next, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: 1, After: page.Next})
	if err != nil || len(next.Events) != 1 || next.Events[0].Stream != want[1].Stream || next.Events[0].Version != want[1].Version {
		t.Fatalf("second page of one: %s, want %s v%d (%v)", keys(next.Events), want[1].Stream, want[1].Version, err)
	}
}

func testLogBadCursor(t *testing.T, l *logFixture) {
	page, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: 1})
	if err != nil || page.Next == "" {
		t.Fatalf("first page: %v %q", err, page.Next)
	}
	for _, c := range []string{
		"garbage",
		"!!!",
		"e30",    // {}
		"bnVsbA", // null
		page.Next + "x",
		page.Next[:len(page.Next)-2],
	} {
		_, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantA, Limit: 1, After: c})
		if !errors.Is(err, domain.ErrBadCursor) {
			t.Errorf("cursor %q: want ErrBadCursor, got %v", c, err)
		}
	}
	// A cursor of A's log handed to B's listing was not made for it.
	if _, err := l.log.Events(l.ctx, domain.EventQuery{Tenant: l.tenantB, Limit: 1, After: page.Next}); !errors.Is(err, domain.ErrBadCursor) {
		t.Errorf("A's cursor for B: want ErrBadCursor, got %v", err)
	}
}

func testLogEmptyMeta(t *testing.T, l *logFixture) {
	got := l.walk(domain.EventQuery{Tenant: l.tenantA, Stream: l.appA2.Stream(), Types: []string{typeAppDeleted}})
	if len(got) != 1 || got[0].Meta != (events.Meta{}) {
		t.Fatalf("the delete without Meta in tenant A's log: %s", keys(got))
	}
	for _, e := range l.walk(domain.EventQuery{Tenant: l.tenantB, Limit: domain.MaxLimit}) {
		if e.Meta == (events.Meta{}) {
			t.Fatalf("an event without Meta is in tenant B's log: %s v%d", e.Stream, e.Version)
		}
	}
}

// manyTypes is more type names than one DynamoDB IN takes (100), most of
// them unknown and one repeated, with typ among them.
func manyTypes(typ string) []string {
	out := []string{typ, typ}
	for i := range 150 {
		out = append(out, fmt.Sprintf("no.such.type%d.v1", i))
	}
	return out
}

// testLogLongStream: a stream of more than nine events reads back in
// version order, and its listing newest first, paged: versions are
// numbers, so 10 comes after 9 (a store ordering them as text would put
// 10 before 2).
func testLogLongStream(t *testing.T, l *logFixture) {
	ref := domain.Ref{Kind: domain.KindApplication, ID: "appLong"}
	meta := events.Meta{Tenant: l.tenantA, Actor: "alice", RequestID: "req-long"}
	st := l.put(ref, nil, l.t0.Add(10*time.Second), meta, events.ApplicationCreated{
		ID: ref.ID, TenantID: l.tenantA, DirectoryID: "dirLong", Name: "long", Status: domain.StatusEnabled})
	for i := range 11 {
		st = l.put(ref, st, l.t0.Add(time.Duration(11+i)*time.Second), meta, events.ApplicationUpdated{Name: fmt.Sprintf("n%d", i), Status: domain.StatusEnabled})
	}
	var want []events.Envelope
	for _, e := range l.all {
		if e.env.Stream == ref.Stream() {
			want = append(want, e.env)
		}
	}
	got, err := l.log.Stream(l.ctx, ref.Stream())
	if err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "long stream", want, got)
	slices.Reverse(want)
	for _, limit := range []int{1, 5, 12, 25} {
		sameEvents(t, fmt.Sprintf("long stream listed, limit %d", limit), want, l.walk(domain.EventQuery{Tenant: l.tenantA, Stream: ref.Stream(), Limit: limit}))
	}
}

// CheckReadBudget runs a workload through store and walks its tenant's
// log for the one event a filter matches: the store must stop each call
// at its read budget of perCall items or rows (short pages with Next),
// and the walk must still end with the one match, listed once. Each
// store sets its budget to perCall before calling it.
func CheckReadBudget(t *testing.T, store domain.Store, log domain.EventLog, perCall int) {
	t.Helper()
	ctx := context.Background()
	w := NewWorkload(t, store, 5)
	w.Run(20)
	all, err := log.Events(ctx, domain.EventQuery{Tenant: w.Admin.TenantID, Limit: domain.MaxLimit})
	if err != nil || all.Next != "" {
		t.Fatalf("the whole log in one page: %v, next %q", err, all.Next)
	}
	if len(all.Events) < 12 {
		t.Fatalf("the workload wrote %d events", len(all.Events))
	}
	q := domain.EventQuery{Tenant: w.Admin.TenantID, Types: []string{"tenant.created.v1"}, Limit: 2}
	var found []string
	calls, short := 0, 0
	for {
		calls++
		if calls > len(all.Events) {
			t.Fatal("the listing does not end")
		}
		page, err := log.Events(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			found = append(found, e.Stream)
		}
		if page.Next == "" {
			break
		}
		if len(page.Events) < q.Limit {
			short++
		}
		q.After = page.Next
	}
	if len(found) != 1 || found[0] != domain.KindTenant+"#"+w.Admin.TenantID {
		t.Fatalf("found %v, want the tenant's creation once", found)
	}
	// perCall reads a call: the walk takes at least a call per perCall events.
	if calls < (len(all.Events)+perCall-1)/perCall || short == 0 {
		t.Fatalf("%d calls (%d short) for %d events at %d reads a call", calls, short, len(all.Events), perCall)
	}
}
