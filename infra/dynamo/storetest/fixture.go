package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Dumper is implemented by stores (or test wrappers around them) that can
// list their entire contents: every event and every read-model item, one
// canonical line each. When the store under test implements it, the suite
// proves "nothing written" across all tables rather than only through the
// port.
type Dumper interface {
	Dump(ctx context.Context) ([]string, error)
}

// fixture builds real aggregates with real events against one store.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	st     domain.Store
	tenant string
	at     time.Time
	seq    int
}

// Epoch is the fixtures' fixed date. Epochs are the dates the suite runs
// at: it, and three years either side, so that a store comparing any
// stored time against the wall clock instead of the caller's time fails
// here on the day it is written, not years later.
var Epoch = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// Epochs returns Epoch and the dates three years before and after it,
// each with a subtest name.
func Epochs() []struct {
	Name string
	At   time.Time
} {
	return []struct {
		Name string
		At   time.Time
	}{
		{"fixed", Epoch},
		{"3y-ahead", Epoch.AddDate(3, 0, 0)},
		{"3y-back", Epoch.AddDate(-3, 0, 0)},
	}
}

func newFixture(t *testing.T, at time.Time, newStore func(t *testing.T) domain.Store) *fixture {
	t.Helper()
	return &fixture{
		t:      t,
		ctx:    context.Background(),
		st:     newStore(t),
		tenant: "tnt0000000000000000001",
		at:     at,
	}
}

// id returns a fresh, store-unique id with a readable prefix.
func (f *fixture) id(prefix string) string {
	f.seq++
	return fmt.Sprintf("%s%06d", prefix, f.seq)
}

// clone copies a state through its stored (JSON) form, which is exactly
// what a command would load.
func clone(t *testing.T, kind string, st domain.State) domain.State {
	t.Helper()
	out, err := domain.NewState(kind)
	if err != nil {
		t.Fatal(err)
	}
	if st == nil {
		return out
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// change appends evs to the stream of ref, whose current state is before
// (nil for a new stream), as a command's recorder does.
func (f *fixture) change(ref domain.Ref, before domain.State, evs ...events.Event) domain.Change {
	f.t.Helper()
	after := clone(f.t, ref.Kind, before)
	ch := domain.Change{Before: before, After: after}
	for _, e := range evs {
		f.at = f.at.Add(time.Millisecond)
		env, err := events.Encode(ref.Stream(), after.Version()+1, f.at, events.Meta{Tenant: f.tenant, Actor: "storetest"}, e)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := after.Apply(env); err != nil {
			f.t.Fatal(err)
		}
		ch.Events = append(ch.Events, env)
	}
	return ch
}

func (f *fixture) commit(c domain.Commit) {
	f.t.Helper()
	if err := f.st.Commit(f.ctx, c); err != nil {
		f.t.Fatalf("commit: %v", err)
	}
}

func (f *fixture) commitChanges(chs ...domain.Change) {
	f.t.Helper()
	f.commit(domain.Commit{Changes: chs})
}

func (f *fixture) load(ref domain.Ref) domain.State {
	f.t.Helper()
	st, err := domain.NewState(ref.Kind)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.Load(f.ctx, ref, st); err != nil {
		f.t.Fatalf("load %s: %v", ref.Stream(), err)
	}
	return st
}

func (f *fixture) app(name string) *domain.Application {
	f.t.Helper()
	id := f.id("app")
	ch := f.change(domain.Ref{Kind: domain.KindApplication, ID: id}, nil, events.ApplicationCreated{
		ID: id, TenantID: f.tenant, DirectoryID: f.id("dir"), Name: name, Status: domain.StatusEnabled,
	})
	f.commitChanges(ch)
	return ch.After.(*domain.Application)
}

func (f *fixture) accountChange(app *domain.Application, username, email string) domain.Change {
	f.t.Helper()
	id := f.id("acc")
	return f.change(domain.Ref{Kind: domain.KindAccount, ID: id}, nil, events.AccountCreated{
		ID: id, TenantID: f.tenant, ApplicationID: app.ID, DirectoryID: app.DirectoryID,
		Username: username, Email: email, GivenName: "Trooper", Surname: username, Status: domain.StatusEnabled,
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
	})
}

func (f *fixture) account(app *domain.Application, username string) *domain.Account {
	f.t.Helper()
	ch := f.accountChange(app, username, username+"@example.com")
	f.commitChanges(ch)
	return ch.After.(*domain.Account)
}

func (f *fixture) group(app *domain.Application, name string) *domain.Group {
	f.t.Helper()
	id := f.id("grp")
	ch := f.change(domain.Ref{Kind: domain.KindGroup, ID: id}, nil, events.GroupCreated{
		ID: id, TenantID: f.tenant, ApplicationID: app.ID, DirectoryID: app.DirectoryID, Name: name, Status: domain.StatusEnabled,
	})
	f.commitChanges(ch)
	return ch.After.(*domain.Group)
}

func (f *fixture) membership(acc *domain.Account, g *domain.Group) *domain.Membership {
	f.t.Helper()
	id := f.id("mem")
	ch := f.change(domain.Ref{Kind: domain.KindMembership, ID: id}, nil, events.MembershipCreated{
		ID: id, TenantID: f.tenant, AccountID: acc.ID, GroupID: g.ID,
	})
	f.commit(domain.Commit{Changes: []domain.Change{ch}, Checks: []domain.Check{{Ref: acc.Ref()}, {Ref: g.Ref()}}})
	return ch.After.(*domain.Membership)
}

func (f *fixture) apiKey(acc *domain.Account) *domain.APIKey {
	f.t.Helper()
	id := f.id("KEY")
	ch := f.change(domain.Ref{Kind: domain.KindAPIKey, ID: id}, nil, events.APIKeyCreated{
		ID: id, TenantID: f.tenant, AccountID: acc.ID, ApplicationID: acc.ApplicationID,
		SecretHash: strings.Repeat("ab", 32), Name: "key " + id, Status: domain.StatusEnabled,
	})
	f.commit(domain.Commit{Changes: []domain.Change{ch}, Checks: []domain.Check{{Ref: acc.Ref()}}})
	return ch.After.(*domain.APIKey)
}

// dump returns the store's whole contents, or nil when it cannot show
// them.
func (f *fixture) dump() []string {
	f.t.Helper()
	d, ok := f.st.(Dumper)
	if !ok {
		return nil
	}
	lines, err := d.Dump(f.ctx)
	if err != nil {
		f.t.Fatalf("dump: %v", err)
	}
	slices.Sort(lines)
	return lines
}

// unchanged fails when the store's contents differ from before (taken
// with dump).
func (f *fixture) unchanged(before []string) {
	f.t.Helper()
	if before == nil {
		return
	}
	after := f.dump()
	if slices.Equal(before, after) {
		return
	}
	f.t.Errorf("a failed commit changed the store:\n%s", diff(before, after))
}

func diff(before, after []string) string {
	var b strings.Builder
	in := func(xs []string, x string) bool { _, ok := slices.BinarySearch(xs, x); return ok }
	n := 0
	for _, l := range before {
		if !in(after, l) && n < 10 {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	for _, l := range after {
		if !in(before, l) && n < 20 {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	return b.String()
}

// sameState compares two states in their stored form.
func sameState(t *testing.T, want, got domain.State) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(w) != string(g) {
		t.Fatalf("state differs:\nwant %s\n got %s", w, g)
	}
	if want.Ref() != got.Ref() || want.Version() != got.Version() || want.Deleted() != got.Deleted() {
		t.Fatalf("state differs: want %v v%d deleted=%v, got %v v%d deleted=%v",
			want.Ref(), want.Version(), want.Deleted(), got.Ref(), got.Version(), got.Deleted())
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("want domain.ErrNotFound, got %v", err)
	}
}

func wantConflict(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrVersionConflict) {
		t.Fatalf("want domain.ErrVersionConflict, got %v", err)
	}
}

func wantUnique(t *testing.T, err error, key string) {
	t.Helper()
	var uv *domain.UniqueViolation
	if !errors.As(err, &uv) {
		t.Fatalf("want *domain.UniqueViolation, got %v", err)
	}
	if uv.Key != key {
		t.Fatalf("unique violation on %q, want %q", uv.Key, key)
	}
}

func wantCheckFailed(t *testing.T, err error, ref domain.Ref) {
	t.Helper()
	var cf *domain.CheckFailed
	if !errors.As(err, &cf) {
		t.Fatalf("want *domain.CheckFailed, got %v", err)
	}
	if cf.Ref != ref {
		t.Fatalf("check failed on %v, want %v", cf.Ref, ref)
	}
}

// guard returns the key of the guard st holds for field.
func guard(t *testing.T, st domain.State, field string) string {
	t.Helper()
	for _, u := range st.UniqueKeys() {
		if u.Field == field {
			return u.Key
		}
	}
	t.Fatalf("%s holds no %s guard", st.Ref().Stream(), field)
	return ""
}

func ids(states []domain.State) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Ref().ID
	}
	return out
}
