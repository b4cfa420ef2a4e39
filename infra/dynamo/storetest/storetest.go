package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Run runs the domain.Store contract against stores made by newStore,
// which must return a fresh, empty store (with its tables) for each
// subtest. It runs the whole contract once per date of Epochs.
func Run(t *testing.T, newStore func(t *testing.T) domain.Store) {
	for _, e := range Epochs() {
		t.Run(e.Name, func(t *testing.T) { runAt(t, e.At, newStore) })
	}
}

func runAt(t *testing.T, at time.Time, newStore func(t *testing.T) domain.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"LoadNotFound", testLoadNotFound},
		{"CommitNewStreamThenLoad", testCommitNewStreamThenLoad},
		{"SeveralEventsInOneChange", testSeveralEventsInOneChange},
		{"EmptyCommit", testEmptyCommit},
		{"StaleVersionConflicts", testStaleVersion},
		{"NewStreamThatExistsConflicts", testNewStreamExists},
		{"ConcurrentAppendsOneWins", testConcurrentAppends},
		{"UniqueViolation", testUniqueViolation},
		{"GuardReleasedOnChangeAndDelete", testGuardReleased},
		{"DeletedLoadsAsTombstone", testTombstone},
		{"CheckFailed", testCheckFailed},
		{"Idempotency", testIdempotency},
		{"IdempotencyExpires", testIdempotencyExpires},
		{"ListCreationOrderAndPaging", testList},
		{"ListMembershipsUnderBothEnds", testListMemberships},
		{"ListEmptyAndDeleted", testListEmptyAndDeleted},
		{"ListAfterSeeksBySortKey", testListAfter},
		{"LoadMany", testLoadMany},
		{"MultiChangeCommitIsAtomic", testAtomicCommit},
		{"ChildCountsFollowChildren", testChildCounts},
		{"ChildNeedsLiveParent", testChildNeedsLiveParent},
		{"ParentDeleteNeedsEveryChild", testParentDeleteNeedsEveryChild},
		{"ParentEditsKeepChildCount", testParentEditsKeepCount},
		{"ConcurrentChildrenDoNotConflict", testConcurrentChildren},
		{"ChildCountsInOneCommit", testChildCountsInOneCommit},
		{"LargestStates", testLargestStates},
		{"SweepDrainsBatchByBatch", testSweepDrainsBatchByBatch},
		{"SweepMisuseRefused", testSweepMisuseRefused},
		{"SweepOfParentsUnderParent", testSweepDeleteOfParentWithParentChildren},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newFixture(t, at, newStore))
		})
	}
}

func testLoadNotFound(t *testing.T, f *fixture) {
	for _, kind := range []string{domain.KindTenant, domain.KindApplication, domain.KindAccount, domain.KindGroup, domain.KindMembership, domain.KindAPIKey} {
		st, _ := domain.NewState(kind)
		wantNotFound(t, f.st.Load(f.ctx, domain.Ref{Kind: kind, ID: "missing"}, st))
	}
	got, err := f.st.LoadMany(f.ctx, []domain.Ref{{Kind: domain.KindAccount, ID: "missing"}})
	if err != nil || len(got) != 0 {
		t.Fatalf("LoadMany of a missing ref: %v %v", got, err)
	}
	_, err = f.st.Idempotency(f.ctx, f.tenant+"/never-used", f.at)
	wantNotFound(t, err)
}

func testCommitNewStreamThenLoad(t *testing.T, f *fixture) {
	tenantCh := f.change(domain.Ref{Kind: domain.KindTenant, ID: f.tenant}, nil, events.TenantCreated{ID: f.tenant, Name: "Empire"})
	f.commitChanges(tenantCh)
	sameState(t, tenantCh.After, f.load(tenantCh.After.Ref()))

	app := f.app("Death Star")
	sameState(t, app, f.load(app.Ref()))
	acc := f.account(app, "tk421")
	sameState(t, acc, f.load(acc.Ref()))
	g := f.group(app, "troopers")
	sameState(t, g, f.load(g.Ref()))
	m := f.membership(acc, g)
	sameState(t, m, f.load(m.Ref()))
	k := f.apiKey(acc)
	sameState(t, k, f.load(k.Ref()))
	if k.Version() != 1 || k.AccountID != acc.ID || k.CreatedAt.IsZero() {
		t.Fatalf("key state %+v", k)
	}
}

func testSeveralEventsInOneChange(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	ch := f.accountChange(app, "tk421", "tk421@example.com")
	acc := ch.After.(*domain.Account)
	// customData values are kept verbatim: big integers, trailing zeros,
	// nesting, unicode and HTML-ish text.
	cd := map[string]json.RawMessage{
		"big":    json.RawMessage(`123456789012345678901234567890`),
		"price":  json.RawMessage(`2.50`),
		"nested": json.RawMessage(`{"z":[1,{"a":null}],"a":true}`),
		"text":   json.RawMessage(`"<blaster> & \u00e9"`),
	}
	ch2 := f.change(acc.Ref(), ch.After, events.CustomDataChanged{Set: cd})
	// Both events in one change: created, then customData.
	ch.After, ch.Events = ch2.After, append(ch.Events, ch2.Events...)
	f.commitChanges(ch)
	got := f.load(acc.Ref()).(*domain.Account)
	sameState(t, ch.After, got)
	if got.Version() != 2 {
		t.Fatalf("version %d, want 2", got.Version())
	}
	for k, v := range ch.After.(*domain.Account).CustomData {
		if string(got.CustomData[k]) != string(v) {
			t.Errorf("customData %s = %s, want %s", k, got.CustomData[k], v)
		}
	}
	// The next append continues at version 3.
	up := f.change(acc.Ref(), got, events.CustomDataCleared{})
	f.commitChanges(up)
	sameState(t, up.After, f.load(acc.Ref()))
}

func testEmptyCommit(t *testing.T, f *fixture) {
	before := f.dump()
	if err := f.st.Commit(f.ctx, domain.Commit{}); err != nil {
		t.Fatalf("empty commit: %v", err)
	}
	f.unchanged(before)
}

func testStaleVersion(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	v2 := f.change(app.Ref(), app, events.ApplicationUpdated{Name: "Death Star II", Status: domain.StatusEnabled})
	f.commitChanges(v2)

	before := f.dump()
	stale := f.change(app.Ref(), app, events.ApplicationUpdated{Name: "Starkiller", Status: domain.StatusDisabled})
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{stale}}))
	f.unchanged(before)
	sameState(t, v2.After, f.load(app.Ref()))
	// The stale name's guard was not taken: another application gets it.
	f.app("Starkiller")

	// The loser reloads and appends at the right version: version 3, so
	// no event of the refused commit was left behind at that version.
	cur := f.load(app.Ref())
	retry := f.change(app.Ref(), cur, events.ApplicationUpdated{Name: "Death Star III", Status: domain.StatusDisabled})
	f.commitChanges(retry)
	if got := f.load(app.Ref()); got.Version() != 3 {
		t.Fatalf("version %d, want 3", got.Version())
	}

	// A Before with a version ahead of the store is just as stale.
	ahead := clone(t, domain.KindApplication, retry.After)
	ahead.(*domain.Application).Ver = 7
	far := f.change(app.Ref(), ahead, events.ApplicationUpdated{Name: "x", Status: domain.StatusEnabled})
	before = f.dump()
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{far}}))
	f.unchanged(before)
}

func testNewStreamExists(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	before := f.dump()
	again := f.change(app.Ref(), nil, events.ApplicationCreated{ID: app.ID, TenantID: f.tenant, DirectoryID: f.id("dir"), Name: "Other", Status: domain.StatusEnabled})
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{again}}))
	f.unchanged(before)
	sameState(t, app, f.load(app.Ref()))
}

func testConcurrentAppends(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	const n = 20
	chs := make([]domain.Change, n)
	for i := range chs {
		chs[i] = f.change(acc.Ref(), acc, events.AccountUpdated{Username: fmt.Sprintf("tk%d", i), Email: acc.Email, Status: domain.StatusEnabled})
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range chs {
		wg.Go(func() { errs[i] = f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{chs[i]}}) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("commits %d and %d both appended version 2", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, domain.ErrVersionConflict):
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no commit won")
	}
	sameState(t, chs[won].After, f.load(acc.Ref()))
	// Only the winner's username guard is held; every loser's is free.
	for i := range chs {
		if i == won {
			continue
		}
		f.commitChanges(f.accountChange(app, fmt.Sprintf("tk%d", i), fmt.Sprintf("other%d@example.com", i)))
	}
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.accountChange(app, fmt.Sprintf("tk%d", won), "x@example.com")}}),
		guard(t, chs[won].After, "username"))
}

func testUniqueViolation(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")

	before := f.dump()
	dupName := f.accountChange(app, "TK421", "someone@example.com")
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{dupName}}), guard(t, acc, "username"))
	f.unchanged(before)
	wantNotFound(t, f.st.Load(f.ctx, dupName.After.Ref(), &domain.Account{}))

	dupEmail := f.accountChange(app, "tk422", "TK421@example.com")
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{dupEmail}}), guard(t, acc, "email"))
	f.unchanged(before)
	// The username of the refused commit was not taken.
	f.account(app, "tk422")

	// Another directory has its own namespace.
	other := f.app("Executor")
	f.account(other, "tk421")

	// An update may not take another aggregate's key either.
	acc2 := f.load(domain.Ref{Kind: domain.KindAccount, ID: f.account(app, "tk423").ID}).(*domain.Account)
	steal := f.change(acc2.Ref(), acc2, events.AccountUpdated{Username: "tk421", Email: acc2.Email, Status: domain.StatusEnabled})
	before = f.dump()
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{steal}}), guard(t, acc, "username"))
	f.unchanged(before)
	sameState(t, acc2, f.load(acc2.Ref()))

	// Group names and membership pairs are guarded too.
	g := f.group(app, "Troopers")
	id := f.id("grp")
	dupGroup := f.change(domain.Ref{Kind: domain.KindGroup, ID: id}, nil, events.GroupCreated{ID: id, TenantID: f.tenant, ApplicationID: app.ID, DirectoryID: app.DirectoryID, Name: "troopers", Status: domain.StatusEnabled})
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{dupGroup}}), guard(t, g, "name"))
	m := f.membership(acc, g)
	mid := f.id("mem")
	dupMember := f.change(domain.Ref{Kind: domain.KindMembership, ID: mid}, nil, events.MembershipCreated{ID: mid, TenantID: f.tenant, AccountID: acc.ID, GroupID: g.ID})
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{dupMember}}), guard(t, m, "group"))
}

func testGuardReleased(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	a := f.account(app, "tk421")
	renamed := f.change(a.Ref(), a, events.AccountUpdated{Username: "tk-421", Email: "new@example.com", Status: domain.StatusEnabled})
	f.commitChanges(renamed)
	// The old username and email are free again; the new ones are held.
	b := f.account(app, "tk421")
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.accountChange(app, "TK-421", "z@example.com")}}), guard(t, renamed.After, "username"))
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.accountChange(app, "zz", "NEW@example.com")}}), guard(t, renamed.After, "email"))

	// A case-only change keeps the guard (same key) and does not trip
	// over itself.
	cur := f.load(b.Ref())
	recased := f.change(b.Ref(), cur, events.AccountUpdated{Username: "TK421", Email: b.Email, Status: domain.StatusEnabled})
	f.commitChanges(recased)
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.accountChange(app, "tk421", "w@example.com")}}), guard(t, b, "username"))

	// Deleting releases every guard; they can be acquired again, and
	// released again by the new owner.
	del := f.change(a.Ref(), renamed.After, events.AccountDeleted{})
	f.commitChanges(del)
	c := f.accountChange(app, "tk-421", "new@example.com")
	f.commitChanges(c)
	del2 := f.change(c.After.Ref(), c.After, events.AccountDeleted{})
	f.commitChanges(del2)
	f.account(app, "tk-421")

	// Group renames and membership deletes release theirs.
	g := f.group(app, "Troopers")
	gr := f.change(g.Ref(), g, events.GroupUpdated{Name: "Officers", Status: domain.StatusEnabled})
	f.commitChanges(gr)
	f.group(app, "troopers")
	m := f.membership(b, gr.After.(*domain.Group))
	f.commitChanges(f.change(m.Ref(), m, events.MembershipDeleted{}))
	f.membership(b, gr.After.(*domain.Group))
}

func testTombstone(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	k := f.apiKey(acc)
	del := f.change(k.Ref(), k, events.APIKeyDeleted{Reason: events.ReasonCascade})
	f.commitChanges(del)
	got := f.load(k.Ref())
	if !got.Deleted() || got.Version() != 2 {
		t.Fatalf("deleted key loads as deleted=%v v%d", got.Deleted(), got.Version())
	}
	sameState(t, del.After, got)
	states, err := f.st.LoadMany(f.ctx, []domain.Ref{k.Ref()})
	if err != nil || len(states) != 1 || !states[0].Deleted() {
		t.Fatalf("LoadMany of a tombstone: %v %v", states, err)
	}
	// A tombstone keeps its version: a stale writer still conflicts.
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{f.change(k.Ref(), k, events.APIKeyUpdated{Name: "x", Status: domain.StatusEnabled})}}))
}

func testCheckFailed(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	gone := f.account(app, "tk422")
	f.commitChanges(f.change(gone.Ref(), gone, events.AccountDeleted{}))

	keyFor := func(a *domain.Account) domain.Change {
		id := f.id("KEY")
		return f.change(domain.Ref{Kind: domain.KindAPIKey, ID: id}, nil, events.APIKeyCreated{ID: id, TenantID: f.tenant, AccountID: a.ID, ApplicationID: app.ID, SecretHash: "00", Status: domain.StatusEnabled})
	}
	missing := domain.Ref{Kind: domain.KindAccount, ID: "missing"}
	for _, tc := range []struct {
		name  string
		check domain.Check
	}{
		{"missing", domain.Check{Ref: missing}},
		{"deleted", domain.Check{Ref: gone.Ref()}},
		{"deleted at its version", domain.Check{Ref: gone.Ref(), Version: 2}},
		{"moved on", domain.Check{Ref: acc.Ref(), Version: acc.Version() + 1}},
	} {
		before := f.dump()
		ch := keyFor(acc)
		err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{ch}, Checks: []domain.Check{{Ref: app.Ref()}, tc.check}})
		wantCheckFailed(t, err, tc.check.Ref)
		f.unchanged(before)
		wantNotFound(t, f.st.Load(f.ctx, ch.After.Ref(), &domain.APIKey{}))
	}
	// Live checks pass, with or without a version.
	f.commit(domain.Commit{Changes: []domain.Change{keyFor(acc)}, Checks: []domain.Check{{Ref: acc.Ref()}, {Ref: app.Ref(), Version: app.Version()}}})
	// A commit of checks alone writes nothing and succeeds.
	before := f.dump()
	f.commit(domain.Commit{Checks: []domain.Check{{Ref: acc.Ref()}}})
	f.unchanged(before)
}

func testIdempotency(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	key := f.tenant + "/req-1"
	rec := domain.IdemRecord{Key: key, Fingerprint: "POST /v1/applications/x/accounts sha256:abc", At: f.at}
	first := f.accountChange(app, "tk421", "tk421@example.com")
	rec.Result = first.After.Ref()
	f.commit(domain.Commit{Changes: []domain.Change{first}, Idem: &rec})

	got, err := f.st.Idempotency(f.ctx, key, f.at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != key || got.Fingerprint != rec.Fingerprint || got.Result != rec.Result || !got.At.Equal(rec.At) {
		t.Fatalf("idempotency record %+v, want %+v", got, rec)
	}
	_, err = f.st.Idempotency(f.ctx, f.tenant+"/req-2", f.at)
	wantNotFound(t, err)
	// Keys are per tenant.
	_, err = f.st.Idempotency(f.ctx, "other-tenant/req-1", f.at)
	wantNotFound(t, err)

	// A second commit with the same key is refused, whatever it holds,
	// and writes nothing.
	before := f.dump()
	second := f.accountChange(app, "tk422", "tk422@example.com")
	rec2 := domain.IdemRecord{Key: key, Fingerprint: rec.Fingerprint, Result: second.After.Ref(), At: f.at}
	err = f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{second}, Idem: &rec2})
	var ir *domain.IdempotencyReplay
	if !errors.As(err, &ir) || ir.Record.Key != key {
		t.Fatalf("want *domain.IdempotencyReplay for %s, got %v", key, err)
	}
	f.unchanged(before)
	wantNotFound(t, f.st.Load(f.ctx, second.After.Ref(), &domain.Account{}))
	if got, err := f.st.Idempotency(f.ctx, key, f.at); err != nil || got.Result != rec.Result {
		t.Fatalf("record after replay: %+v %v", got, err)
	}
	// Its username was not taken.
	f.account(app, "tk422")

	// When a change fails, the record is not written either, so a retry
	// with the same key can still succeed.
	dup := f.accountChange(app, "tk421", "dup@example.com")
	rec3 := domain.IdemRecord{Key: f.tenant + "/req-3", Fingerprint: "fp", Result: dup.After.Ref(), At: f.at}
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{dup}, Idem: &rec3}), guard(t, first.After, "username"))
	_, err = f.st.Idempotency(f.ctx, rec3.Key, f.at)
	wantNotFound(t, err)
}

// testIdempotencyExpires: a record lives IdempotencyTTL after its At, as
// judged by the time the caller passes, never the store's wall clock.
// Past that, Idempotency reports it gone and a Commit with the same key
// overwrites it, even though the item itself may still be stored
// (DynamoDB's TTL sweep is lazy and can take days).
func testIdempotencyExpires(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	key := f.tenant + "/req-1"
	first := f.accountChange(app, "tk421", "tk421@example.com")
	rec := domain.IdemRecord{Key: key, Fingerprint: "a", Result: first.After.Ref(), At: f.at}
	f.commit(domain.Commit{Changes: []domain.Change{first}, Idem: &rec})

	// Within the TTL the key is taken, both for reads and for commits.
	within := f.at.Add(domain.IdempotencyTTL - time.Hour)
	if got, err := f.st.Idempotency(f.ctx, key, within); err != nil || got.Result != rec.Result {
		t.Fatalf("within TTL: %+v %v", got, err)
	}
	second := f.accountChange(app, "tk422", "tk422@example.com")
	rec2 := domain.IdemRecord{Key: key, Fingerprint: "b", Result: second.After.Ref(), At: within}
	var ir *domain.IdempotencyReplay
	if err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{second}, Idem: &rec2}); !errors.As(err, &ir) {
		t.Fatalf("within TTL: want IdempotencyReplay, got %v", err)
	}

	// After it, the key is free in both views of the store.
	after := f.at.Add(domain.IdempotencyTTL + time.Hour)
	_, err := f.st.Idempotency(f.ctx, key, after)
	wantNotFound(t, err)
	rec2.At = after
	if err := f.st.Commit(f.ctx, domain.Commit{Changes: []domain.Change{second}, Idem: &rec2}); err != nil {
		t.Fatalf("reuse after expiry: %v", err)
	}
	got, err := f.st.Idempotency(f.ctx, key, after)
	if err != nil || got.Result != rec2.Result || got.Fingerprint != "b" {
		t.Fatalf("new record: %+v %v", got, err)
	}
}

func testList(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	other := f.app("Executor")
	var want []string
	for i := range 30 {
		want = append(want, f.account(app, fmt.Sprintf("u%02d", 29-i)).ID)
		if i%3 == 0 {
			f.account(other, fmt.Sprintf("o%02d", i))
		}
	}
	coll := "application/" + app.ID + "/accounts"
	all, total, err := f.st.List(f.ctx, coll, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if total != 30 || !slices.Equal(ids(all), want) {
		t.Fatalf("list: total %d\n got %v\nwant %v", total, ids(all), want)
	}
	for i, st := range all {
		if _, ok := st.(*domain.Account); !ok {
			t.Fatalf("item %d is %T", i, st)
		}
	}
	// Pages of 7 concatenate to the whole collection, each with the total.
	var paged []string
	for off := 0; off < 35; off += 7 {
		page, total, err := f.st.List(f.ctx, coll, off, 7)
		if err != nil {
			t.Fatal(err)
		}
		if total != 30 {
			t.Fatalf("offset %d: total %d", off, total)
		}
		if wantLen := max(0, min(7, 30-off)); len(page) != wantLen {
			t.Fatalf("offset %d: %d items, want %d", off, len(page), wantLen)
		}
		paged = append(paged, ids(page)...)
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged:\n got %v\nwant %v", paged, want)
	}
	page, total, err := f.st.List(f.ctx, coll, 28, 5)
	if err != nil || total != 30 || !slices.Equal(ids(page), want[28:]) {
		t.Fatalf("tail page: %v %d %v", ids(page), total, err)
	}
	page, total, err = f.st.List(f.ctx, coll, 30, 5)
	if err != nil || total != 30 || len(page) != 0 {
		t.Fatalf("past the end: %v %d %v", ids(page), total, err)
	}
	if _, total, _ := f.st.List(f.ctx, "application/"+other.ID+"/accounts", 0, 1); total != 10 {
		t.Fatalf("other application: total %d, want 10", total)
	}

	// Ties on creation time are broken by id.
	t0 := f.at
	tied := []domain.Change{f.accountChange(other, "tieb", "tieb@example.com")}
	f.at = t0
	tied = append(tied, f.accountChange(other, "tiea", "tiea@example.com"))
	if !tied[0].After.(*domain.Account).CreatedAt.Equal(tied[1].After.(*domain.Account).CreatedAt) {
		t.Fatal("fixture: creation times differ")
	}
	f.commitChanges(tied...)
	page, _, err = f.st.List(f.ctx, "application/"+other.ID+"/accounts", 10, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("tied: %v %v", ids(page), err)
	}
	if a, b := page[0].Ref().ID, page[1].Ref().ID; a > b {
		t.Fatalf("tie broken as %s before %s", a, b)
	}
}

func testListMemberships(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	a1, a2 := f.account(app, "tk421"), f.account(app, "tk422")
	g1, g2 := f.group(app, "troopers"), f.group(app, "officers")
	m11 := f.membership(a1, g1)
	m21 := f.membership(a2, g1)
	m12 := f.membership(a1, g2)
	check := func(coll string, want ...*domain.Membership) {
		t.Helper()
		got, total, err := f.st.List(f.ctx, coll, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var w []string
		for _, m := range want {
			w = append(w, m.ID)
		}
		if total != len(want) || !slices.Equal(ids(got), w) {
			t.Fatalf("%s: total %d %v, want %v", coll, total, ids(got), w)
		}
		for i := range got {
			sameState(t, f.load(got[i].Ref()), got[i])
		}
	}
	check("account/"+a1.ID+"/memberships", m11, m12)
	check("account/"+a2.ID+"/memberships", m21)
	check("group/"+g1.ID+"/memberships", m11, m21)
	check("group/"+g2.ID+"/memberships", m12)
	// A deleted membership leaves both listings.
	f.commitChanges(f.change(m11.Ref(), m11, events.MembershipDeleted{Reason: events.ReasonCascade}))
	check("account/"+a1.ID+"/memberships", m12)
	check("group/"+g1.ID+"/memberships", m21)
}

func testListEmptyAndDeleted(t *testing.T, f *fixture) {
	items, total, err := f.st.List(f.ctx, "application/none/accounts", 0, 25)
	if err != nil || total != 0 || len(items) != 0 {
		t.Fatalf("empty collection: %v %d %v", items, total, err)
	}
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	k1, k2, k3 := f.apiKey(acc), f.apiKey(acc), f.apiKey(acc)
	f.commitChanges(f.change(k2.Ref(), k2, events.APIKeyDeleted{}))
	// An update keeps the item's place: order is creation, not modification.
	f.commitChanges(f.change(k1.Ref(), k1, events.APIKeyUpdated{Name: "renamed", Status: domain.StatusDisabled}))
	items, total, err = f.st.List(f.ctx, "account/"+acc.ID+"/apikeys", 0, 25)
	if err != nil || total != 2 || !slices.Equal(ids(items), []string{k1.ID, k3.ID}) {
		t.Fatalf("keys after delete: %v %d %v", ids(items), total, err)
	}
	if items[0].(*domain.APIKey).Name != "renamed" {
		t.Fatalf("list shows a stale state: %+v", items[0])
	}
	// A tenant's applications are a collection too.
	items, total, err = f.st.List(f.ctx, "tenant/"+f.tenant+"/applications", 0, 25)
	if err != nil || total != 1 || items[0].Ref() != app.Ref() {
		t.Fatalf("applications: %v %d %v", items, total, err)
	}
}

func testLoadMany(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	g := f.group(app, "troopers")
	k := f.apiKey(acc)
	refs := []domain.Ref{acc.Ref(), {Kind: domain.KindGroup, ID: "missing"}, g.Ref(), k.Ref(), acc.Ref()}
	// Enough missing refs to need more than one batch.
	for i := range 150 {
		refs = append(refs, domain.Ref{Kind: domain.KindAccount, ID: fmt.Sprintf("missing%03d", i)})
	}
	refs = append(refs, app.Ref())
	got, err := f.st.LoadMany(f.ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[domain.Ref]domain.State{}
	for _, st := range got {
		if byRef[st.Ref()] != nil {
			t.Fatalf("%v returned twice", st.Ref())
		}
		byRef[st.Ref()] = st
	}
	want := []domain.State{app, acc, g, k}
	if len(got) != len(want) {
		t.Fatalf("LoadMany returned %d states %v, want %d", len(got), ids(got), len(want))
	}
	for _, w := range want {
		g, ok := byRef[w.Ref()]
		if !ok {
			t.Fatalf("LoadMany lost %v", w.Ref())
		}
		sameState(t, w, g)
	}
	if got, err := f.st.LoadMany(f.ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("LoadMany(nil): %v %v", got, err)
	}
}

func testAtomicCommit(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	acc := f.account(app, "tk421")
	k := f.apiKey(acc)
	g := f.group(app, "troopers")
	m := f.membership(acc, g)

	// Every change is valid but one: the whole commit is refused.
	cascade := func() []domain.Change {
		return []domain.Change{
			f.change(acc.Ref(), acc, events.AccountDeleted{}),
			f.change(k.Ref(), k, events.APIKeyDeleted{Reason: events.ReasonCascade}),
			f.change(m.Ref(), m, events.MembershipDeleted{Reason: events.ReasonCascade}),
		}
	}
	newApp := func(name string) domain.Change {
		id := f.id("app")
		return f.change(domain.Ref{Kind: domain.KindApplication, ID: id}, nil, events.ApplicationCreated{ID: id, TenantID: f.tenant, DirectoryID: f.id("dir"), Name: name, Status: domain.StatusEnabled})
	}
	staleKey := f.change(k.Ref(), k, events.APIKeyUpdated{Name: "v2", Status: domain.StatusEnabled})
	f.commitChanges(staleKey) // k is now at version 2; k itself is stale

	before := f.dump()
	chs := cascade()
	wantConflict(t, f.st.Commit(f.ctx, domain.Commit{Changes: append(chs, newApp("Executor"))}))
	f.unchanged(before)

	chs = cascade()
	chs[1] = f.change(k.Ref(), staleKey.After, events.APIKeyDeleted{Reason: events.ReasonCascade})
	wantUnique(t, f.st.Commit(f.ctx, domain.Commit{Changes: append(chs, newApp("DEATH STAR"))}), guard(t, app, "name"))
	f.unchanged(before)

	chs = cascade()
	chs[1] = f.change(k.Ref(), staleKey.After, events.APIKeyDeleted{Reason: events.ReasonCascade})
	missing := domain.Ref{Kind: domain.KindGroup, ID: "missing"}
	wantCheckFailed(t, f.st.Commit(f.ctx, domain.Commit{Changes: append(chs, newApp("Executor")), Checks: []domain.Check{{Ref: missing}}}), missing)
	f.unchanged(before)

	rec := domain.IdemRecord{Key: f.tenant + "/once", Fingerprint: "fp", Result: app.Ref(), At: f.at}
	f.commit(domain.Commit{Changes: []domain.Change{f.change(app.Ref(), app, events.ApplicationUpdated{Name: app.Name, Description: "d", Status: domain.StatusEnabled})}, Idem: &rec})
	before = f.dump()
	chs = cascade()
	chs[1] = f.change(k.Ref(), staleKey.After, events.APIKeyDeleted{Reason: events.ReasonCascade})
	err := f.st.Commit(f.ctx, domain.Commit{Changes: chs, Idem: &rec})
	var ir *domain.IdempotencyReplay
	if !errors.As(err, &ir) {
		t.Fatalf("want *domain.IdempotencyReplay, got %v", err)
	}
	f.unchanged(before)

	for _, st := range []domain.State{acc, staleKey.After, m} {
		if got := f.load(st.Ref()); got.Deleted() || got.Version() != st.Version() {
			t.Fatalf("%v changed by a refused commit: v%d deleted=%v", st.Ref(), got.Version(), got.Deleted())
		}
	}
	if _, total, _ := f.st.List(f.ctx, "tenant/"+f.tenant+"/applications", 0, 10); total != 1 {
		t.Fatalf("%d applications, want 1", total)
	}

	// The same cascade at the right versions lands whole.
	chs = cascade()
	chs[1] = f.change(k.Ref(), staleKey.After, events.APIKeyDeleted{Reason: events.ReasonCascade})
	f.commitChanges(append(chs, newApp("Executor"))...)
	for _, ch := range chs {
		sameState(t, ch.After, f.load(ch.After.Ref()))
	}
	if _, total, _ := f.st.List(f.ctx, "account/"+acc.ID+"/apikeys", 0, 10); total != 0 {
		t.Fatalf("%d keys left, want 0", total)
	}
}

// testListAfter pages by position: pages after each last sort key
// concatenate to the whole collection, a deleted item's key still marks
// its place, and the total is the collection's whatever the position.
func testListAfter(t *testing.T, f *fixture) {
	app := f.app("Death Star")
	other := f.app("Executor")
	var all []*domain.Account
	for i := range 23 {
		all = append(all, f.account(app, fmt.Sprintf("u%02d", i)))
		if i%4 == 0 {
			f.account(other, fmt.Sprintf("o%02d", i))
		}
	}
	coll := "application/" + app.ID + "/accounts"
	var want []string
	for _, a := range all {
		want = append(want, a.ID)
	}
	var paged []string
	after := ""
	for range 10 {
		page, total, err := f.st.ListAfter(f.ctx, coll, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		if total != 23 {
			t.Fatalf("after %q: total %d, want 23", after, total)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, ids(page)...)
		after = page[len(page)-1].SortKey()
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("keyset pages:\n got %v\nwant %v", paged, want)
	}
	// The key of an item deleted since still marks its place.
	gone := all[9]
	f.commitChanges(f.change(gone.Ref(), gone, events.AccountDeleted{}))
	page, total, err := f.st.ListAfter(f.ctx, coll, gone.SortKey(), 3)
	if err != nil || total != 22 || !slices.Equal(ids(page), want[10:13]) {
		t.Fatalf("after a deleted item: %v %d %v, want %v", ids(page), total, err, want[10:13])
	}
	// Past the last item: nothing, and still the total.
	page, total, err = f.st.ListAfter(f.ctx, coll, all[22].SortKey(), 3)
	if err != nil || total != 22 || len(page) != 0 {
		t.Fatalf("after the last item: %v %d %v", ids(page), total, err)
	}
	// An empty collection, from the start.
	page, total, err = f.st.ListAfter(f.ctx, "application/none/accounts", "", 3)
	if err != nil || total != 0 || len(page) != 0 {
		t.Fatalf("empty collection: %v %d %v", ids(page), total, err)
	}
	// Positions from one collection select nothing of another's that they
	// should not: the other application's accounts after app's 5th.
	page, _, err = f.st.ListAfter(f.ctx, "application/"+other.ID+"/accounts", all[4].SortKey(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range page {
		if st.(*domain.Account).ApplicationID != other.ID {
			t.Fatalf("another collection's item: %+v", st)
		}
	}
}
