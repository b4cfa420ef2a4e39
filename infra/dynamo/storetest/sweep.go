package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// The sweep contract (domain.Change.Sweep, domain.Swept, Store.Sweeps): a
// parent deleted with Sweep keeps its children counted, a deleted
// parent's count moves only by Swept with its exact count, and Sweeps
// lists the parent exactly while children are left.

// sweeps returns the refs Store.Sweeps lists.
func (f *fixture) sweeps() []domain.Ref {
	f.t.Helper()
	refs, err := f.st.Sweeps(f.ctx, domain.MaxLimit)
	if err != nil {
		f.t.Fatalf("sweeps: %v", err)
	}
	return refs
}

// pending reports whether Sweeps lists ref, and, when it does, that the
// parent is deleted with children left. DynamoDB's index may lag, so a
// listed parent whose count is zero is allowed (the domain reloads).
func (f *fixture) pending(ref domain.Ref) bool {
	f.t.Helper()
	if !slices.Contains(f.sweeps(), ref) {
		return false
	}
	p := f.load(ref)
	return p.Deleted() && p.(domain.Parent).Children() > 0
}

// swept names ref's tombstone in a commit's Swept, with count as the
// count the commit expects.
func (f *fixture) swept(st domain.State, count int64) []domain.Swept {
	f.t.Helper()
	p := f.load(st.Ref()).(domain.Parent)
	p.SetChildren(count)
	return []domain.Swept{{Parent: p}}
}

func (f *fixture) refusedWith(want error, name string, c domain.Commit) {
	f.t.Helper()
	before := f.dump()
	if err := f.st.Commit(f.ctx, c); !errors.Is(err, want) {
		f.t.Fatalf("%s: want %v, got %v", name, want, err)
	}
	f.unchanged(before)
}

func testSweepDrainsBatchByBatch(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	g := f.group(app, "troopers")
	k1, k2, k3 := f.apiKey(acc), f.apiKey(acc), f.apiKey(acc)
	m := f.membership(acc, g)
	if f.pending(acc.Ref()) {
		t.Fatal("a live account is listed for sweeping")
	}

	// Deleted with Sweep: gone, children still counted, listed.
	loaded := f.load(acc.Ref())
	stale := clone(t, domain.KindAccount, loaded)
	stale.(domain.Parent).SetChildren(3)
	del := f.change(acc.Ref(), stale, events.AccountDeleted{})
	del.Sweep = true
	f.refusedWith(domain.ErrVersionConflict, "sweep delete with a stale count", domain.Commit{Changes: []domain.Change{del}})
	del = f.change(acc.Ref(), loaded, events.AccountDeleted{})
	del.Sweep = true
	f.commitChanges(del)
	gone := f.load(acc.Ref())
	if !gone.Deleted() {
		t.Fatal("account not deleted")
	}
	f.wantChildren(gone, 4)
	f.wantChildren(app, 1) // the account went, the group stays
	if !f.pending(acc.Ref()) {
		t.Fatalf("Sweeps lists %v, not the account being swept", f.sweeps())
	}
	for _, u := range []string{"username", "email"} {
		if _, err := f.st.Owner(f.ctx, guard(t, acc, u)); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s guard not released by the sweep delete: %v", u, err)
		}
	}

	// No child comes in under it; none goes without Swept, or with a
	// count that is not the stored one.
	before := f.dump()
	wantCheckFailed(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.keyChange(acc)}}), acc.Ref())
	f.unchanged(before)
	drop := func(st domain.State) domain.Change {
		switch v := st.(type) {
		case *domain.APIKey:
			return f.change(v.Ref(), v, events.APIKeyDeleted{Reason: events.ReasonCascade})
		case *domain.Membership:
			return f.change(v.Ref(), v, events.MembershipDeleted{Reason: events.ReasonCascade})
		}
		t.Fatalf("no child: %T", st)
		return domain.Change{}
	}
	f.refusedWith(domain.ErrVersionConflict, "child of a deleted parent without Swept",
		domain.Commit{Changes: []domain.Change{drop(k1)}})
	f.refusedWith(domain.ErrVersionConflict, "Swept with a count that moved",
		domain.Commit{Changes: []domain.Change{drop(k1)}, Swept: f.swept(acc, 5)})

	// Batch by batch down to zero; the last batch ends the sweep.
	f.commit(domain.Commit{Changes: []domain.Change{drop(k1), drop(k2)}, Swept: f.swept(acc, 4)})
	f.wantChildren(f.load(acc.Ref()), 2)
	if !f.pending(acc.Ref()) {
		t.Fatal("half-swept account no longer listed")
	}
	f.refusedWith(domain.ErrVersionConflict, "a batch another sweep already committed",
		domain.Commit{Changes: []domain.Change{drop(k3)}, Swept: f.swept(acc, 4)})
	f.commit(domain.Commit{Changes: []domain.Change{drop(k3), drop(m)}, Swept: f.swept(acc, 2)})
	f.wantChildren(f.load(acc.Ref()), 0)
	f.wantChildren(g, 0)
	if f.pending(acc.Ref()) {
		t.Fatal("drained account still listed with children")
	}

	// A normal delete still needs every child: the group's went, the
	// application's group is left.
	if err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.change(app.Ref(), app, events.ApplicationDeleted{})}}); !errors.Is(err, domain.ErrVersionConflict) {
		t.Fatalf("application with a group deleted without Sweep: %v", err)
	}
}

func testSweepMisuseRefused(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	k := f.apiKey(acc)
	bad := func(name string, c domain.Commit) {
		t.Helper()
		before := f.dump()
		err := f.st.Commit(f.ctx, c)
		var de *domain.Error
		if err == nil || errors.Is(err, domain.ErrVersionConflict) || errors.As(err, &de) {
			t.Fatalf("%s: want a plain error, got %v", name, err)
		}
		f.unchanged(before)
	}
	// Sweep on a child, on a parent that is not deleted, or leaving no
	// children; Swept naming a live parent's count or one with no delta.
	ch := f.change(k.Ref(), k, events.APIKeyDeleted{})
	ch.Sweep = true
	bad("Sweep on a key", domain.Commit{Changes: []domain.Change{ch}})
	loaded := f.load(acc.Ref())
	ch = f.change(acc.Ref(), loaded, events.AccountUpdated{Username: "tk422", Email: "tk422@example.com", Status: domain.StatusEnabled})
	ch.Sweep = true
	bad("Sweep on an update", domain.Commit{Changes: []domain.Change{ch}})
	ch = f.change(acc.Ref(), loaded, events.AccountDeleted{})
	ch.Sweep = true
	bad("Sweep taking every child", domain.Commit{Changes: []domain.Change{ch, f.change(k.Ref(), k, events.APIKeyDeleted{Reason: events.ReasonCascade})}})
	bad("Swept without children deleted", domain.Commit{Changes: []domain.Change{f.keyChange(acc)}, Swept: f.swept(app, 1)})
	f.wantChildren(f.load(acc.Ref()), 1)
}

func testSweepDeleteOfParentWithParentChildren(t *testing.T, f *fixture) {
	// An application swept: its account, itself with a key, goes with
	// Sweep in the application's batch, and is swept in turn.
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	k := f.apiKey(acc)
	del := f.change(app.Ref(), f.load(app.Ref()), events.ApplicationDeleted{})
	del.Sweep = true
	f.commitChanges(del)
	if !f.pending(app.Ref()) {
		t.Fatal("application not listed")
	}
	accDel := f.change(acc.Ref(), f.load(acc.Ref()), events.AccountDeleted{Reason: events.ReasonCascade})
	accDel.Sweep = true
	f.commit(domain.Commit{Changes: []domain.Change{accDel}, Swept: f.swept(app, 1)})
	if f.pending(app.Ref()) || !f.pending(acc.Ref()) {
		t.Fatalf("after the application's batch: Sweeps lists %v", f.sweeps())
	}
	f.wantChildren(f.load(app.Ref()), 0)
	f.commit(domain.Commit{Changes: []domain.Change{f.change(k.Ref(), k, events.APIKeyDeleted{Reason: events.ReasonCascade})},
		Swept: f.swept(acc, 1)})
	if f.pending(acc.Ref()) {
		t.Fatal("account still listed")
	}
	f.wantChildren(f.load(acc.Ref()), 0)
}
