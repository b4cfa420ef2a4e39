package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// TestConcurrentCreateAccountSameUsername: 50 requests race for one
// username; the uniqueness guard lets exactly one through and the others
// get a 409 naming the field, with nothing of theirs written.
func TestConcurrentCreateAccountSameUsername(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const n = 50
	errs := make([]error, n)
	accs := make([]*domain.Account, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			accs[i], errs[i] = e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{
				Username: ptr("tk421"), Email: ptr(fmt.Sprintf("tk421.%d@example.com", i)), Password: ptr("Changeme1"),
			})
		})
	}
	wg.Wait()
	var won []int
	for i, err := range errs {
		if err == nil {
			won = append(won, i)
			continue
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindConflict || de.Code != domain.CodeNotUnique || de.Field != "username" {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d requests created the account, want exactly 1", len(won))
	}
	l, err := e.svc.ListAccounts(ctx, e.admin, e.boot.Application.ID, domain.Page{})
	if err != nil || l.Size != 1 || l.Items[0].ID != accs[won[0]].ID {
		t.Fatalf("accounts: %v %+v", err, l)
	}
	// The losers' emails were not taken.
	streams, err := e.h.Store.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for stream := range streams {
		if strings.HasPrefix(stream, domain.KindAccount+"#") {
			created++
		}
	}
	if created != 2 { // the bootstrap admin and the winner
		t.Fatalf("%d account streams in the log, want 2", created)
	}
	for i := range n {
		if i == won[0] {
			continue
		}
		if _, err := e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{
			Username: ptr(fmt.Sprintf("tk%d", i)), Email: ptr(fmt.Sprintf("tk421.%d@example.com", i)), Password: ptr("Changeme1"),
		}); err != nil {
			t.Fatalf("email of loser %d still taken: %v", i, err)
		}
		break
	}
}

// TestConcurrentCreateAPIKeys: 500 keys created at once across 10
// accounts all succeed, and the log and the read models agree: as many
// apikey.created events as key state items as listed keys.
func TestConcurrentCreateAPIKeys(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const accounts, perAccount = 10, 50
	accIDs := map[string]bool{}
	var accs []*domain.Account
	for i := range accounts {
		a := e.account(t, fmt.Sprintf("tk%03d", i))
		accs = append(accs, a)
		accIDs[a.ID] = true
	}
	errs := make([]error, accounts*perAccount)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = e.svc.CreateAPIKey(ctx, e.admin, accs[i%accounts].ID, domain.APIKeyInput{Name: ptr(fmt.Sprintf("key %d", i))})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}

	streams, err := e.h.Store.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	createdEvents := 0
	for _, envs := range streams {
		for _, env := range envs {
			if env.Type != events.TypeAPIKeyCreated {
				continue
			}
			var c events.APIKeyCreated
			if err := json.Unmarshal(env.Data, &c); err != nil {
				t.Fatal(err)
			}
			if accIDs[c.AccountID] {
				createdEvents++
			}
		}
	}
	items, err := e.h.Store.ScanViews(ctx)
	if err != nil {
		t.Fatal(err)
	}
	states := 0
	for _, it := range items {
		var row struct {
			PK   string `dynamodbav:"pk"`
			Data string `dynamodbav:"data"`
		}
		if err := attributevalue.UnmarshalMap(it, &row); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(row.PK, domain.KindAPIKey+"#") {
			continue
		}
		var k domain.APIKey
		if err := json.Unmarshal([]byte(row.Data), &k); err != nil {
			t.Fatal(err)
		}
		if accIDs[k.AccountID] && !k.Deleted() && k.Version() == 1 {
			states++
		}
	}
	listed := 0
	for _, a := range accs {
		l, err := e.svc.ListAPIKeys(ctx, e.admin, a.ID, domain.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if l.Size != perAccount {
			t.Errorf("account %s lists %d keys, want %d", a.ID, l.Size, perAccount)
		}
		listed += l.Size
	}
	if want := accounts * perAccount; createdEvents != want || states != want || listed != want {
		t.Fatalf("apikey.created events %d, key state items %d, listed %d; want %d each", createdEvents, states, listed, want)
	}
}

// The three race tests below delete a parent while its children are being
// created, round after round, and count the children left behind under a
// deleted parent. Each round is its own parent; a fresh embedded store
// every raceRoundsPerStore rounds keeps minidyn's tables small (it copies
// whole tables on every transaction), so that 100 rounds stay quick under
// -race on two cores.
const (
	raceRounds         = 100
	raceChildren       = 20
	raceRoundsPerStore = 5
)

// raceStats counts what happened over all rounds.
type raceStats struct {
	deletes, deletesRefused int
	children, refused       int
	// dangling is the number of live children found under a deleted
	// parent: it must stay 0.
	dangling int
	// cascaded counts children a successful delete took with it; raced
	// counts rounds where the delete won in the middle of the creates
	// (some came after it and were refused); retried counts delete
	// commits refused because a child came in after the delete's reads.
	cascaded, raced, retried int
}

// firstLoad is the store as the deleting command sees it: it tells when
// that command has loaded its parent, and counts its commits refused for
// a conflict (a child came in after its listing, so it retried).
type firstLoad struct {
	domain.Store
	once      sync.Once
	loaded    chan struct{}
	conflicts int
}

func (f *firstLoad) Commit(ctx context.Context, c domain.Commit) error {
	err := f.Store.Commit(ctx, c)
	if errors.Is(err, domain.ErrVersionConflict) {
		f.conflicts++ // only the one deleting goroutine commits here
	}
	return err
}

func (f *firstLoad) Load(ctx context.Context, ref domain.Ref, dst domain.State) error {
	err := f.Store.Load(ctx, ref, dst)
	f.signal()
	return err
}

func (f *firstLoad) signal() { f.once.Do(func() { close(f.loaded) }) }

// race runs n creates and one delete at once. In an aimed round the
// creates start as soon as the delete has loaded its parent, so they
// commit in the delete's window, while it lists (or counts) the children
// and commits: a delete that reads, then commits, used to leave behind
// the children created there. In the other rounds everything starts
// together, so that creates also land before the delete's reads and the
// delete must cascade them, or retry. Everything is ordered by channels;
// nothing waits on time.
func (st *raceStats) race(e *env, n int, aimed bool, create func(i int) error, del func(svc *domain.Service) error) (createErrs []error, delErr error) {
	gate := &firstLoad{Store: e.svc.Store, loaded: make(chan struct{})}
	delSvc := *e.svc
	delSvc.Store = gate
	start := make(chan struct{})
	begin := start
	if aimed {
		begin = gate.loaded
	}
	createErrs = make([]error, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		<-start
		defer gate.signal() // in case it returns without loading
		delErr = del(&delSvc)
	})
	for i := range n {
		wg.Go(func() {
			<-begin
			createErrs[i] = create(i)
		})
	}
	close(start)
	wg.Wait()
	st.retried += gate.conflicts
	return createErrs, delErr
}

// tally checks each outcome is an allowed one: a child is created or
// refused because its parent is gone; the delete succeeds or is refused
// with a conflict (dependents, or it kept losing to the creates).
// It returns how many children were created.
func (st *raceStats) tally(t *testing.T, createErrs []error, delErr error) (created int) {
	t.Helper()
	refused := 0
	for i, err := range createErrs {
		switch k := domain.KindOf(err); {
		case err == nil:
			created++
		case k == domain.KindNotFound || k == domain.KindInvalid:
			refused++
		default:
			t.Fatalf("create %d: %v", i, err)
		}
	}
	st.children += created
	st.refused += refused
	switch {
	case delErr == nil:
		st.deletes++
		if refused > 0 {
			st.raced++
		}
	case domain.KindOf(delErr) == domain.KindConflict:
		st.deletesRefused++
	default:
		t.Fatalf("delete: %v", delErr)
	}
	return created
}

// collectionSize is the number of live children listed in a collection.
func collectionSize(t *testing.T, e *env, coll string) int {
	t.Helper()
	_, n, err := e.h.Store.List(context.Background(), coll, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// loadState reads a state through the store port, tombstones included.
func loadState[T domain.State](t *testing.T, e *env, ref domain.Ref, dst T) T {
	t.Helper()
	if err := e.h.Store.Load(context.Background(), ref, dst); err != nil {
		t.Fatalf("load %s: %v", ref.Stream(), err)
	}
	return dst
}

// checkParent counts the live children under parent (from its
// collections) as dangling when the parent is deleted, and fails when the
// parent's child count differs from them.
func (st *raceStats) checkParent(t *testing.T, e *env, parent domain.State, colls ...string) {
	t.Helper()
	live := 0
	for _, c := range colls {
		live += collectionSize(t, e, c)
	}
	if parent.Deleted() {
		st.dangling += live
	}
	if n := childCount(t, parent); n != int64(live) {
		t.Errorf("%s: child count %d, but %d live children", parent.Ref().Stream(), n, live)
	}
}

func (st *raceStats) report(t *testing.T, what string) {
	t.Helper()
	t.Logf("%d rounds: %d %s created, %d refused; %d deletes (%d while children were being created, %d children cascaded, %d commits retried), %d refused; %d dangling",
		raceRounds, st.children, what, st.refused, st.deletes, st.raced, st.cascaded, st.retried, st.deletesRefused, st.dangling)
	if st.dangling != 0 {
		t.Errorf("%d %s dangle under a deleted parent, want 0", st.dangling, what)
	}
	// The creates must have landed on both sides of deletes, or the
	// rounds did not race and 0 dangling would prove nothing.
	if st.deletes == 0 || st.children == 0 || st.refused == 0 {
		t.Errorf("the rounds did not race: %d deletes, %d %s created before one, %d refused after one", st.deletes, st.children, what, st.refused)
	}
}

// TestRaceDeleteAccountWhileCreatingKeys: DeleteAccount cascades the keys
// it lists; a key created between that listing and the delete's commit
// must not survive the account.
func TestRaceDeleteAccountWhileCreatingKeys(t *testing.T) {
	t.Parallel() // Each on its own stores, which minidyn serializes: they overlap well.
	ctx := context.Background()
	var st raceStats
	var e *env
	for round := range raceRounds {
		if round%raceRoundsPerStore == 0 {
			e = setup(t)
		}
		acc := e.account(t, fmt.Sprintf("tk%03d", round))
		errs, delErr := st.race(e, raceChildren, round%2 == 0, func(i int) error {
			_, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
			return err
		}, func(svc *domain.Service) error {
			return svc.DeleteAccount(ctx, e.admin, acc.ID)
		})
		created := st.tally(t, errs, delErr)
		after := loadState(t, e, acc.Ref(), &domain.Account{})
		if delErr == nil {
			st.cascaded += created - collectionSize(t, e, "account/"+acc.ID+"/apikeys")
		}
		st.checkParent(t, e, after, "account/"+acc.ID+"/apikeys", "account/"+acc.ID+"/memberships")
	}
	st.report(t, "keys")
}

// TestRaceDeleteGroupWhileAddingMembers: DeleteGroup cascades the
// memberships it lists; one added meanwhile must not outlive the group,
// and each member account's child count must stay exact.
func TestRaceDeleteGroupWhileAddingMembers(t *testing.T) {
	t.Parallel() // Each on its own stores, which minidyn serializes: they overlap well.
	ctx := context.Background()
	// Twice the rounds per store: each store first needs its 20 member
	// accounts.
	const perStore = 2 * raceRoundsPerStore
	var st raceStats
	var e *env
	var accs []*domain.Account
	for round := range raceRounds {
		if round%perStore == 0 {
			e = setup(t)
			accs = accs[:0]
			for i := range raceChildren {
				accs = append(accs, e.account(t, fmt.Sprintf("tk%03d", i)))
			}
		}
		g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr(fmt.Sprintf("group%03d", round))})
		if err != nil {
			t.Fatal(err)
		}
		errs, delErr := st.race(e, raceChildren, round%2 == 0, func(i int) error {
			_, err := e.svc.CreateMembership(ctx, e.admin, accs[i].ID, g.ID)
			return err
		}, func(svc *domain.Service) error {
			return svc.DeleteGroup(ctx, e.admin, g.ID)
		})
		created := st.tally(t, errs, delErr)
		after := loadState(t, e, g.Ref(), &domain.Group{})
		if delErr == nil {
			st.cascaded += created - collectionSize(t, e, "group/"+g.ID+"/memberships")
		}
		st.checkParent(t, e, after, "group/"+g.ID+"/memberships")
		if round%perStore == perStore-1 {
			// The member accounts counted every membership of this
			// store's rounds: created, cascaded, or left in a group
			// that survived.
			for _, a := range accs {
				cur := loadState(t, e, a.Ref(), &domain.Account{})
				st.checkParent(t, e, cur, "account/"+a.ID+"/apikeys", "account/"+a.ID+"/memberships")
			}
		}
	}
	st.report(t, "memberships")
}

// TestRaceDeleteApplicationWhileCreatingAccountsAndGroups: an application
// is deleted only when it has no accounts or groups left; one created
// between that check and the delete's commit must not outlive it.
func TestRaceDeleteApplicationWhileCreatingAccountsAndGroups(t *testing.T) {
	t.Parallel() // Each on its own stores, which minidyn serializes: they overlap well.
	ctx := context.Background()
	var st raceStats
	var e *env
	for round := range raceRounds {
		if round%raceRoundsPerStore == 0 {
			e = setup(t)
		}
		app, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr(fmt.Sprintf("App %03d", round))})
		if err != nil {
			t.Fatal(err)
		}
		errs, delErr := st.race(e, raceChildren, round%2 == 0, func(i int) error {
			if i%2 == 0 {
				_, err := e.svc.CreateGroup(ctx, e.admin, app.ID, domain.GroupInput{Name: ptr(fmt.Sprintf("group%02d", i))})
				return err
			}
			_, err := e.svc.CreateAccount(ctx, e.admin, app.ID, domain.AccountInput{Username: ptr(fmt.Sprintf("tk%02d", i)), Email: ptr(fmt.Sprintf("tk%02d@example.com", i)), Password: ptr("Changeme1")})
			return err
		}, func(svc *domain.Service) error {
			return svc.DeleteApplication(ctx, e.admin, app.ID)
		})
		st.tally(t, errs, delErr)
		after := loadState(t, e, app.Ref(), &domain.Application{})
		st.checkParent(t, e, after, "application/"+app.ID+"/accounts", "application/"+app.ID+"/groups")
	}
	st.report(t, "accounts and groups")
}

// childCount is the child count the store loaded with a parent.
func childCount(t *testing.T, st domain.State) int64 {
	t.Helper()
	p, ok := st.(domain.Parent)
	if !ok {
		t.Fatalf("%s is not a domain.Parent", st.Ref().Stream())
	}
	return p.Children()
}
