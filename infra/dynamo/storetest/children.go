package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// The child-count contract (domain.Parent, domain.ChildDeltas): counts
// follow children, a child needs a live parent, and a parent goes only
// with every child, whatever ran in between. These are what keep a child
// from ever pointing at a deleted parent.

// children returns a parent's count as Load, LoadMany and List report it,
// failing when they disagree.
func (f *fixture) children(p domain.State) int64 {
	f.t.Helper()
	n := f.load(p.Ref()).(domain.Parent).Children()
	many, err := f.st.LoadMany(f.ctx, []domain.Ref{p.Ref()})
	if err != nil || len(many) != 1 {
		f.t.Fatalf("LoadMany %s: %v %v", p.Ref().Stream(), many, err)
	}
	if m := many[0].(domain.Parent).Children(); m != n {
		f.t.Fatalf("%s: Load counts %d children, LoadMany %d", p.Ref().Stream(), n, m)
	}
	if cs := p.Collections(); len(cs) > 0 && !p.Deleted() {
		listed, _, err := f.st.List(f.ctx, cs[0], 0, domain.MaxLimit)
		if err != nil {
			f.t.Fatal(err)
		}
		found := false
		for _, st := range listed {
			if st.Ref() == p.Ref() {
				found = true
				if m := st.(domain.Parent).Children(); m != n {
					f.t.Fatalf("%s: Load counts %d children, List %d", p.Ref().Stream(), n, m)
				}
			}
		}
		if !found {
			f.t.Fatalf("%s not listed in %s", p.Ref().Stream(), cs[0])
		}
	}
	return n
}

func (f *fixture) wantChildren(p domain.State, want int64) {
	f.t.Helper()
	if got := f.children(p); got != want {
		f.t.Fatalf("%s counts %d children, want %d", p.Ref().Stream(), got, want)
	}
}

func (f *fixture) keyChange(acc *domain.Account) domain.Change {
	f.t.Helper()
	id := f.id("KEY")
	return f.change(domain.Ref{Kind: domain.KindAPIKey, ID: id}, nil, events.APIKeyCreated{
		ID: id, TenantID: f.tenant, AccountID: acc.ID, ApplicationID: acc.ApplicationID, SecretHash: "00", Status: domain.StatusEnabled,
	})
}

func (f *fixture) membershipChange(acc *domain.Account, g *domain.Group) domain.Change {
	f.t.Helper()
	id := f.id("mem")
	return f.change(domain.Ref{Kind: domain.KindMembership, ID: id}, nil, events.MembershipCreated{ID: id, TenantID: f.tenant, AccountID: acc.ID, GroupID: g.ID})
}

func (f *fixture) groupChange(app *domain.Application, name string) domain.Change {
	f.t.Helper()
	id := f.id("grp")
	return f.change(domain.Ref{Kind: domain.KindGroup, ID: id}, nil, events.GroupCreated{
		ID: id, TenantID: f.tenant, ApplicationID: app.ID, DirectoryID: app.DirectoryID, Name: name, Status: domain.StatusEnabled,
	})
}

func testChildCounts(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	f.wantChildren(app, 0)
	acc := f.account(app, "tk421")
	f.wantChildren(app, 1)
	f.wantChildren(acc, 0)
	g := f.group(app, "troopers")
	f.wantChildren(app, 2)
	f.wantChildren(g, 0)
	k1, k2 := f.apiKey(acc), f.apiKey(acc)
	m := f.membership(acc, g)
	f.wantChildren(acc, 3) // two keys and a membership
	f.wantChildren(g, 1)
	f.wantChildren(app, 2) // keys and memberships are not the application's

	// Deleting a child takes it off its parents' counts; updating one
	// does not count it again.
	f.commitChanges(f.change(k1.Ref(), k1, events.APIKeyUpdated{Name: "renamed", Status: domain.StatusDisabled}))
	f.wantChildren(acc, 3)
	f.commitChanges(f.change(k2.Ref(), k2, events.APIKeyDeleted{}))
	f.wantChildren(acc, 2)
	f.commitChanges(f.change(m.Ref(), m, events.MembershipDeleted{}))
	f.wantChildren(acc, 1)
	f.wantChildren(g, 0)

	// A parent with no children left can go, and its parent counts it
	// off too.
	f.commitChanges(f.change(g.Ref(), g, events.GroupDeleted{}))
	f.wantChildren(app, 1)
	f.wantChildren(f.load(g.Ref()), 0)

	// A cascade takes the parent and its children at once, and counts
	// each membership off its other parent as well.
	g2 := f.group(app, "officers")
	m2 := f.membership(acc, g2)
	f.wantChildren(g2, 1)
	acc = f.load(acc.Ref()).(*domain.Account)
	k1 = f.load(k1.Ref()).(*domain.APIKey)
	f.commitChanges(
		f.change(acc.Ref(), acc, events.AccountDeleted{}),
		f.change(k1.Ref(), k1, events.APIKeyDeleted{Reason: events.ReasonCascade}),
		f.change(m2.Ref(), m2, events.MembershipDeleted{Reason: events.ReasonCascade}),
	)
	f.wantChildren(f.load(acc.Ref()), 0)
	f.wantChildren(g2, 0)
	f.wantChildren(app, 1) // the group is left
}

func testChildNeedsLiveParent(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	g := f.group(app, "troopers")
	goneApp := f.app("Alderaan")
	f.commitChanges(f.change(goneApp.Ref(), goneApp, events.ApplicationDeleted{}))
	goneAcc := f.account(app, "tk422")
	f.commitChanges(f.change(goneAcc.Ref(), goneAcc, events.AccountDeleted{}))
	goneGroup := f.group(app, "rebels")
	f.commitChanges(f.change(goneGroup.Ref(), goneGroup, events.GroupDeleted{}))
	missingAcc := &domain.Account{Base: domain.Base{ID: "missing"}, ApplicationID: app.ID}
	missingGroup := &domain.Group{Base: domain.Base{ID: "missing"}, ApplicationID: app.ID}
	f.wantChildren(app, 2) // acc and g; the deleted ones were counted off

	for _, tc := range []struct {
		name   string
		ch     domain.Change
		parent domain.Ref
	}{
		{"account under a deleted application", f.accountChange(goneApp, "x", "x@example.com"), goneApp.Ref()},
		{"group under a deleted application", f.groupChange(goneApp, "x"), goneApp.Ref()},
		{"key under a deleted account", f.keyChange(goneAcc), goneAcc.Ref()},
		{"key under a missing account", f.keyChange(missingAcc), missingAcc.Ref()},
		{"membership of a deleted account", f.membershipChange(goneAcc, g), goneAcc.Ref()},
		{"membership of a deleted group", f.membershipChange(acc, goneGroup), goneGroup.Ref()},
		{"membership of a missing group", f.membershipChange(acc, missingGroup), missingGroup.Ref()},
	} {
		t.Log(tc.name)
		before := f.dump()
		// The live parent's count, in the same commit, is not written
		// either.
		err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{tc.ch, f.keyChange(acc)}})
		wantCheckFailed(t, err, tc.parent)
		f.unchanged(before)
		wantNotFound(t, f.st.Load(f.ctx, tc.ch.After.Ref(), tc.ch.After))
		f.wantChildren(acc, 0)
		f.wantChildren(g, 0)
		f.wantChildren(app, 2)
	}

	// A Check on a counted parent is folded into its count: both hold,
	// or the commit fails on the check and writes nothing.
	f.commit(domain.Commit{Changes: []domain.Change{f.keyChange(acc)}, Checks: []domain.Check{{Ref: acc.Ref(), Version: acc.Version()}}})
	f.wantChildren(acc, 1)
	before := f.dump()
	err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.keyChange(acc)}, Checks: []domain.Check{{Ref: acc.Ref(), Version: acc.Version() + 1}}})
	wantCheckFailed(t, err, acc.Ref())
	f.unchanged(before)
	f.wantChildren(acc, 1)

	// A child created in the commit that deletes its parent: refused.
	key := f.keyChange(acc)
	before = f.dump()
	err = f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.change(acc.Ref(), acc, events.AccountDeleted{}), key}})
	wantCheckFailed(t, err, acc.Ref())
	f.unchanged(before)
}

func testParentDeleteNeedsEveryChild(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	g := f.group(app, "troopers")
	k1 := f.apiKey(acc)
	m := f.membership(acc, g)

	refused := func(name string, chs ...domain.Change) {
		t.Helper()
		before := f.dump()
		if err := f.st.Commit(f.ctx, domain.Commit{Changes: chs}); !errors.Is(err, domain.ErrVersionConflict) {
			t.Fatalf("%s: want domain.ErrVersionConflict, got %v", name, err)
		}
		f.unchanged(before)
	}
	// An application or group with a child left, an account whose
	// cascade misses a key (created after its listing) or a membership.
	refused("application with children", f.change(app.Ref(), app, events.ApplicationDeleted{}))
	refused("group with a membership", f.change(g.Ref(), g, events.GroupDeleted{}))
	refused("account without its cascade", f.change(acc.Ref(), acc, events.AccountDeleted{}))
	refused("account cascade missing a membership",
		f.change(acc.Ref(), acc, events.AccountDeleted{}),
		f.change(k1.Ref(), k1, events.APIKeyDeleted{Reason: events.ReasonCascade}))
	k2 := f.apiKey(acc)
	refused("account cascade missing a new key",
		f.change(acc.Ref(), acc, events.AccountDeleted{}),
		f.change(k1.Ref(), k1, events.APIKeyDeleted{Reason: events.ReasonCascade}),
		f.change(m.Ref(), m, events.MembershipDeleted{Reason: events.ReasonCascade}))
	for _, st := range []domain.State{app, acc, g, k1, k2, m} {
		if f.load(st.Ref()).Deleted() {
			t.Fatalf("%s deleted by a refused commit", st.Ref().Stream())
		}
	}
	f.wantChildren(acc, 3)
	f.wantChildren(g, 1)
	f.wantChildren(app, 2)

	// With every child in it, the same cascade lands.
	f.commitChanges(
		f.change(acc.Ref(), acc, events.AccountDeleted{}),
		f.change(k1.Ref(), k1, events.APIKeyDeleted{Reason: events.ReasonCascade}),
		f.change(k2.Ref(), k2, events.APIKeyDeleted{Reason: events.ReasonCascade}),
		f.change(m.Ref(), m, events.MembershipDeleted{Reason: events.ReasonCascade}))
	f.wantChildren(f.load(acc.Ref()), 0)
	f.wantChildren(g, 0)
	f.wantChildren(app, 1)
	refused("application with a group", f.change(app.Ref(), app, events.ApplicationDeleted{}))
	f.commitChanges(f.change(g.Ref(), g, events.GroupDeleted{}))
	f.commitChanges(f.change(app.Ref(), app, events.ApplicationDeleted{}))
	f.wantChildren(f.load(app.Ref()), 0)
}

func testParentEditsKeepCount(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	// Children created after the parent was loaded do not make its edit
	// stale, and the edit keeps their count.
	f.apiKey(acc)
	f.apiKey(acc)
	up := f.change(acc.Ref(), acc, events.AccountUpdated{Username: "tk-421", Email: acc.Email, Status: domain.StatusDisabled})
	f.commitChanges(up)
	sameState(t, up.After, f.load(acc.Ref()))
	f.wantChildren(acc, 2)
	f.commitChanges(f.change(app.Ref(), app, events.ApplicationUpdated{Name: "Death Star II", Status: domain.StatusEnabled}))
	f.wantChildren(app, 1)
	f.apiKey(acc)
	f.wantChildren(acc, 3)
	// A stale edit still conflicts, and a failed one keeps the count.
	before := f.dump()
	stale := f.change(acc.Ref(), acc, events.AccountUpdated{Username: "x", Email: acc.Email, Status: domain.StatusEnabled})
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{stale, f.keyChange(acc)}}))
	f.unchanged(before)
	f.wantChildren(acc, 3)
}

func testConcurrentChildren(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	g := f.group(app, "troopers")
	const n = 20
	chs := make([]domain.Change, n)
	for i := range chs {
		if i%2 == 0 {
			chs[i] = f.keyChange(acc)
		} else {
			other := f.account(app, fmt.Sprintf("tk%d", i))
			chs[i] = f.membershipChange(other, g)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range chs {
		wg.Go(func() { errs[i] = f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{chs[i]}}) })
	}
	wg.Wait()
	for i, err := range errs {
		// Siblings never conflict on their parent's count; a store may
		// still report a transient conflict, which a command retries.
		for err != nil && errors.Is(err, domain.ErrVersionConflict) {
			err = f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{chs[i]}})
		}
		if err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	f.wantChildren(acc, n/2)
	f.wantChildren(g, n/2)
	f.wantChildren(app, 2+n/2)
}

func testChildCountsInOneCommit(t *testing.T, f *fixture) {
	// A parent and its children created together (as a bootstrap does):
	// the new parent's item starts at their count.
	appID := f.id("app")
	appCh := f.change(domain.Ref{Kind: domain.KindApplication, ID: appID}, nil, events.ApplicationCreated{ID: appID, TenantID: f.tenant, DirectoryID: f.id("dir"), Name: "Death Star", Status: domain.StatusEnabled})
	app := appCh.After.(*domain.Application)
	accCh := f.accountChange(app, "tk421", "tk421@example.com")
	acc := accCh.After.(*domain.Account)
	grpCh := f.groupChange(app, "troopers")
	g := grpCh.After.(*domain.Group)
	f.commitChanges(appCh, accCh, grpCh, f.keyChange(acc), f.keyChange(acc), f.membershipChange(acc, g))
	f.wantChildren(app, 2)
	f.wantChildren(acc, 3)
	f.wantChildren(g, 1)

	// A child moved from one parent to another in one commit: a delete
	// and a create that leave the count where it was, yet still need the
	// parent live.
	k := f.apiKey(acc)
	f.wantChildren(acc, 4)
	f.commitChanges(f.change(k.Ref(), k, events.APIKeyDeleted{}), f.keyChange(acc))
	f.wantChildren(acc, 4)

	// An edit of a parent and a new child of it in one commit.
	cur := f.load(acc.Ref())
	f.commitChanges(f.change(acc.Ref(), cur, events.AccountUpdated{Username: "tk-421", Email: acc.Email, Status: domain.StatusEnabled}), f.keyChange(acc))
	f.wantChildren(acc, 5)

	// A commit that fails on its last item writes none of its counts.
	acc2 := f.account(app, "tk422")
	before := f.dump()
	dup := f.groupChange(app, "TROOPERS")
	err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.keyChange(acc), f.membershipChange(acc2, g), dup}})
	wantUnique(t, err, guard(t, g, "name"))
	f.unchanged(before)
	f.wantChildren(acc, 5)
	f.wantChildren(acc2, 0)
	f.wantChildren(g, 1)
	f.wantChildren(app, 3)
}
