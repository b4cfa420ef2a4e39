package stack_test

import (
	"context"
	"errors"
	"net/url"
	"path"
	"slices"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/stack"
)

// Large cascades (domain/sweep.go): the parent is gone, and its keys stop
// working, with the commit of its own delete; its children follow in
// bounded batches, within the request or, after a crash, in
// Service.Sweep.

// admin is the bootstrap admin as a domain caller, for bulk setup through
// the service (thousands of HTTP round trips would only slow the test).
func (c *client) admin() domain.Caller {
	b := c.s.Boot
	return domain.Caller{TenantID: b.Tenant.ID, AccountID: b.Admin.ID, KeyID: b.AdminKey.ID, Admin: true}
}

// state loads ref from the stack's store, with its child count.
func (c *client) state(ref domain.Ref) domain.State {
	c.t.Helper()
	st, err := domain.NewState(ref.Kind)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.s.Store.Load(context.Background(), ref, st); err != nil {
		c.t.Fatalf("load %s: %v", ref.Stream(), err)
	}
	return st
}

func (c *client) children(ref domain.Ref) int64 {
	c.t.Helper()
	return c.state(ref).(domain.Parent).Children()
}

// pendingSweeps lists what Store.Sweeps still lists with children left.
func (c *client) pendingSweeps() []domain.Ref {
	c.t.Helper()
	refs, err := c.s.Store.Sweeps(context.Background(), domain.MaxLimit)
	if err != nil {
		c.t.Fatal(err)
	}
	var out []domain.Ref
	for _, r := range refs {
		if c.children(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// allGone checks that every ref is deleted, by cascade.
func (c *client) allGone(refs []domain.Ref) {
	c.t.Helper()
	streams, err := c.s.Store.ReadEvents(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	for _, r := range refs {
		if !c.state(r).Deleted() {
			c.t.Fatalf("%s not deleted", r.Stream())
		}
		envs := streams[r.Stream()]
		last, err := events.Decode(envs[len(envs)-1])
		if err != nil {
			c.t.Fatal(err)
		}
		var reason string
		switch e := last.(type) {
		case *events.APIKeyDeleted:
			reason = e.Reason
		case *events.MembershipDeleted:
			reason = e.Reason
		case *events.AccountDeleted:
			reason = e.Reason
		case *events.GroupDeleted:
			reason = e.Reason
		}
		if reason != events.ReasonCascade {
			c.t.Fatalf("%s ends with %T %q, not a cascade delete", r.Stream(), last, reason)
		}
	}
}

// keysFor gives an account n-1 more keys (it has one already).
func (c *client) keysFor(accountID string, n int) []domain.Ref {
	c.t.Helper()
	var refs []domain.Ref
	for range n {
		k, err := c.s.Service.CreateAPIKey(context.Background(), c.admin(), accountID, domain.APIKeyInput{})
		if err != nil {
			c.t.Fatal(err)
		}
		refs = append(refs, k.Key.Ref())
	}
	return refs
}

// refusedAtOnce checks, while the sweep has not deleted a single key,
// that the account and its keys are gone for every path.
func refusedAtOnce(t *testing.T, c, dev *client, acc map[string]any, tok string, keys []domain.Ref) {
	t.Helper()
	if r := c.do("GET", acc["href"].(string), nil); r.Status != 404 {
		t.Fatalf("account: %d", r.Status)
	}
	for _, k := range []domain.Ref{{Kind: domain.KindAPIKey, ID: dev.id}, keys[len(keys)-1]} {
		if r := c.do("GET", "/v1/apiKeys/"+k.ID, nil); r.Status != 404 {
			t.Fatalf("GET key %s of a deleted account: %d %s", k.ID, r.Status, r.Body)
		}
		if r := c.do("POST", "/v1/apiKeys/"+k.ID, map[string]any{"name": "x"}); r.Status != 404 {
			t.Fatalf("update key %s of a deleted account: %d", k.ID, r.Status)
		}
	}
	if r := dev.do("GET", "/troopers/tk421/equipment", nil); r.Status != 401 {
		t.Fatalf("Basic with a key of a deleted account: %d", r.Status)
	}
	if r := c.as("", "").do("GET", "/troopers/tk421/equipment", nil, "Authorization", "Bearer "+tok); r.Status != 401 {
		t.Fatalf("Bearer token of a deleted account: %d", r.Status)
	}
	oauthErr(t, dev.form("POST", "/oauth/token", grant, ""), 401, "invalid_client")
	m := c.must(200, c.form("POST", "/oauth/introspect", "token="+url.QueryEscape(tok), ""))
	if m["active"] != false {
		t.Fatalf("introspection of a deleted account's token: %v", m)
	}
	if r := c.do("GET", href(acc, "apiKeys"), nil); r.Status != 404 {
		t.Fatalf("keys of a deleted account: %d", r.Status)
	}
}

func TestDeleteAccountWithManyKeys(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeleteAccountWithManyKeys(t, startTTL(t, 0), 2500) })
	t.Run("dynamodb", func(t *testing.T) { testDeleteAccountWithManyKeys(t, startDynamo(t, 0), 250) })
}

func testDeleteAccountWithManyKeys(t *testing.T, c *client, n int) {
	dev, acc := c.developer("tk421")
	tok := dev.token("")["access_token"].(string)
	dev.must(200, dev.do("GET", "/troopers/tk421/equipment", nil))
	accRef := domain.Ref{Kind: domain.KindAccount, ID: idOf(acc)}
	keys := append([]domain.Ref{{Kind: domain.KindAPIKey, ID: dev.id}}, c.keysFor(accRef.ID, n-1)...)
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "troopers"}))
	m := c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{
		"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	if got := c.children(accRef); got != int64(n+1) {
		t.Fatalf("account counts %d children, want %d", got, n+1)
	}

	// Pause the request right after the account's own delete committed,
	// before any batch, and look from here (the test's goroutine).
	paused, resume := make(chan struct{}), make(chan struct{})
	var seen []int
	c.s.Sweeps.Paused.Store(true) // this test drives the sweep itself
	c.s.Service.SweepHook = func(_ context.Context, parent domain.Ref, batch int) error {
		if parent != accRef {
			return nil
		}
		seen = append(seen, batch)
		if batch == 0 {
			close(paused)
			<-resume
		}
		return nil
	}
	done := make(chan resp)
	go func() { done <- c.do("DELETE", acc["href"].(string), nil) }()
	<-paused
	refusedAtOnce(t, c, dev, acc, tok, keys)
	if got := c.children(accRef); got != int64(n+1) {
		t.Errorf("before the first batch the account counts %d, want %d", got, n+1)
	}
	if !slices.Contains(c.pendingSweeps(), accRef) {
		t.Errorf("Sweeps does not list the account")
	}
	close(resume)
	c.must(204, <-done)
	if len(seen) < 3 || seen[0] != 0 || seen[1] != 1 {
		t.Fatalf("sweep commits seen: %v", seen)
	}
	// The request ran its batches; what a request's budget leaves is the
	// scheduled sweep's (functions/sweep), which runs Service.Sweep.
	if len(seen)-1 < n/(domain.MaxCommitItems/2) {
		if len(seen)-1 != domain.DefaultSweepBatches || !slices.Contains(c.pendingSweeps(), accRef) {
			t.Fatalf("request stopped after %d batches, pending %v", len(seen)-1, c.pendingSweeps())
		}
		if done, err := c.s.Service.Sweep(context.Background()); err != nil || done != 1 {
			t.Fatalf("Sweep: %d %v", done, err)
		}
	}
	c.s.Service.SweepHook = nil
	// Every batch fits a transaction, so there are at least n/49 of them.
	if want := n / (domain.MaxCommitItems / 2); len(seen)-1 < want {
		t.Fatalf("%d batches for %d keys, want at least %d", len(seen)-1, n, want)
	}
	c.allGone(append(keys, domain.Ref{Kind: domain.KindMembership, ID: idOf(m)}))
	if got := c.children(accRef); got != 0 {
		t.Fatalf("account counts %d children after the sweep", got)
	}
	if got := c.children(domain.Ref{Kind: domain.KindGroup, ID: idOf(g)}); got != 0 {
		t.Fatalf("group counts %d after the account's memberships went", got)
	}
	if p := c.pendingSweeps(); len(p) != 0 {
		t.Fatalf("sweeps left: %v", p)
	}
	refusedAtOnce(t, c, dev, acc, tok, keys)
}

// A crash after two batches (the hook fails as the process would die):
// the request still answers 204, the account is gone, half its keys are
// left, counted, and rebuild yields the same views; Sweep finishes.
func TestSweepAfterCrash(t *testing.T) {
	c := start(t)
	dev, acc := c.developer("tk421")
	tok := dev.token("")["access_token"].(string)
	accRef := domain.Ref{Kind: domain.KindAccount, ID: idOf(acc)}
	keys := append([]domain.Ref{{Kind: domain.KindAPIKey, ID: dev.id}}, c.keysFor(accRef.ID, 299)...)
	crash := errors.New("crash")
	c.s.Sweeps.Paused.Store(true) // this test drives the sweep itself
	c.s.Service.SweepHook = func(_ context.Context, parent domain.Ref, batch int) error {
		if batch == 2 {
			return crash
		}
		return nil
	}
	c.must(204, c.do("DELETE", acc["href"].(string), nil))
	c.s.Service.SweepHook = nil
	left := c.children(accRef)
	if left <= 0 || left >= 300-2*40 {
		t.Fatalf("after two batches the account counts %d", left)
	}
	refusedAtOnce(t, c, dev, acc, tok, keys)

	// Half swept, the views are what the log says.
	ctx := context.Background()
	before, err := c.s.SQLite.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.SQLite.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	after, err := c.s.SQLite.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Fatal("rebuild of a half-swept account differs from live")
	}
	if got := c.children(accRef); got != left {
		t.Fatalf("rebuild counts %d, live %d", got, left)
	}

	done, err := c.s.Service.Sweep(ctx)
	if err != nil || done != 1 {
		t.Fatalf("Sweep: %d, %v", done, err)
	}
	c.allGone(keys)
	if got := c.children(accRef); got != 0 || len(c.pendingSweeps()) != 0 {
		t.Fatalf("after Sweep: count %d, pending %v", got, c.pendingSweeps())
	}
	if done, err := c.s.Service.Sweep(ctx); err != nil || done != 0 {
		t.Fatalf("second Sweep: %d, %v", done, err)
	}
}

func TestDeleteGroupWithManyMemberships(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeleteGroupWithManyMemberships(t, start(t), 150) })
	t.Run("dynamodb", func(t *testing.T) { testDeleteGroupWithManyMemberships(t, startDynamo(t, 0), 60) })
}

func testDeleteGroupWithManyMemberships(t *testing.T, c *client, n int) {
	ctx := context.Background()
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "troopers"}))
	gRef := domain.Ref{Kind: domain.KindGroup, ID: idOf(g)}
	var ms, accs []domain.Ref
	for i := range n {
		u, e, pw := "tk"+itoa(i), "tk"+itoa(i)+"@galacticempire.co", "Changeme1"
		a, err := c.s.Service.CreateAccount(ctx, c.admin(), c.s.Boot.Application.ID, domain.AccountInput{Username: &u, Email: &e, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		m, err := c.s.Service.CreateMembership(ctx, c.admin(), a.ID, gRef.ID)
		if err != nil {
			t.Fatal(err)
		}
		ms, accs = append(ms, m.Ref()), append(accs, a.Ref())
	}
	// What the hook sees right after the group's delete committed is
	// checked here, on the test's goroutine.
	var batches int
	var atOnce []resp
	c.s.Sweeps.Paused.Store(true) // this test drives the sweep itself
	c.s.Service.SweepHook = func(_ context.Context, parent domain.Ref, batch int) error {
		if batch == 0 {
			atOnce = []resp{
				c.do("GET", "/v1/groupMemberships/"+ms[0].ID, nil),
				c.do("GET", "/v1/accounts/"+accs[0].ID+"/groups", nil),
				c.do("GET", "/v1/accounts/"+accs[0].ID+"/groupMemberships", nil),
			}
		}
		batches = batch
		return nil
	}
	c.must(204, c.do("DELETE", g["href"].(string), nil))
	c.s.Service.SweepHook = nil
	if len(atOnce) != 3 || atOnce[0].Status != 404 {
		t.Fatalf("membership of a deleted group: %v", atOnce)
	}
	for _, r := range atOnce[1:] {
		if r.Status != 200 || len(r.json(t)["items"].([]any)) != 0 {
			t.Fatalf("an account's groups or memberships while its group is swept: %d %s", r.Status, r.Body)
		}
	}
	if batches < 2 {
		t.Fatalf("%d memberships swept in %d batches", n, batches)
	}
	c.allGone(ms)
	for _, a := range accs {
		if c.children(a) != 0 || c.state(a).Deleted() {
			t.Fatalf("%s: %d children, deleted %v", a.Stream(), c.children(a), c.state(a).Deleted())
		}
	}
	if c.children(gRef) != 0 || len(c.pendingSweeps()) != 0 {
		t.Fatalf("group counts %d, pending %v", c.children(gRef), c.pendingSweeps())
	}
}

func TestDeleteApplicationWithManyAccounts(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDeleteApplicationWithManyAccounts(t, start(t), 120) })
	t.Run("dynamodb", func(t *testing.T) { testDeleteApplicationWithManyAccounts(t, startDynamo(t, 0), 40) })
}

func testDeleteApplicationWithManyAccounts(t *testing.T, c *client, n int) {
	ctx := context.Background()
	name := "Death Star"
	app, err := c.s.Service.CreateApplication(ctx, c.admin(), domain.ApplicationInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	gname := "troopers"
	g, err := c.s.Service.CreateGroup(ctx, c.admin(), app.ID, domain.GroupInput{Name: &gname})
	if err != nil {
		t.Fatal(err)
	}
	gone := []domain.Ref{g.Ref()}
	var accs []domain.Ref
	for i := range n {
		u, e, pw := "tk"+itoa(i), "tk"+itoa(i)+"@galacticempire.co", "Changeme1"
		a, err := c.s.Service.CreateAccount(ctx, c.admin(), app.ID, domain.AccountInput{Username: &u, Email: &e, Password: &pw})
		if err != nil {
			t.Fatal(err)
		}
		accs = append(accs, a.Ref())
		gone = append(gone, a.Ref())
		if i%2 == 0 {
			gone = append(gone, c.keysFor(a.ID, 2)...)
			m, err := c.s.Service.CreateMembership(ctx, c.admin(), a.ID, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			gone = append(gone, m.Ref())
		}
	}
	key := gone[2] // the first account's first key
	var atOnce []resp
	paths := []string{"/v1/applications/" + app.ID, "/v1/accounts/" + accs[0].ID, "/v1/groups/" + g.ID, "/v1/apiKeys/" + key.ID}
	c.s.Sweeps.Paused.Store(true) // this test drives the sweep itself
	c.s.Service.SweepHook = func(_ context.Context, parent domain.Ref, batch int) error {
		if batch == 0 && parent == app.Ref() {
			for _, p := range paths {
				atOnce = append(atOnce, c.do("GET", p, nil))
			}
		}
		return nil
	}
	c.s.Service.SweepBatches = 5
	c.must(204, c.do("DELETE", "/v1/applications/"+app.ID, nil))
	c.s.Service.SweepHook = nil
	if !c.state(app.Ref()).Deleted() {
		t.Fatal("application not deleted")
	}
	for i, r := range atOnce {
		if r.Status != 404 {
			t.Fatalf("GET %s under a deleted application: %d", paths[i], r.Status)
		}
	}
	if len(atOnce) != len(paths) {
		t.Fatalf("hook saw %d answers", len(atOnce))
	}
	// The request ran out of batches: the rest is the scheduled sweep's.
	if len(c.pendingSweeps()) == 0 {
		t.Fatal("nothing left to sweep after 5 batches")
	}
	if _, err := c.s.Service.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	c.allGone(gone)
	for _, r := range append([]domain.Ref{app.Ref(), g.Ref()}, accs...) {
		if got := c.children(r); got != 0 {
			t.Fatalf("%s counts %d", r.Stream(), got)
		}
	}
	if p := c.pendingSweeps(); len(p) != 0 {
		t.Fatalf("pending: %v", p)
	}
}

// idOf is the id at the end of a resource's href.
func idOf(m map[string]any) string { return path.Base(m["href"].(string)) }

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestRestartFinishesSweep: a local server stopped in the middle of a
// large cascade finishes it at its next start.
func TestRestartFinishesSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := startData(t, stack.StoreSQLite, dir)
	admin := domain.Caller{TenantID: s.Boot.Tenant.ID, AccountID: s.Boot.Admin.ID, Admin: true}
	email, pw := "tk421@galacticempire.co", "Changeme1"
	acc, err := s.Service.CreateAccount(ctx, admin, s.Boot.Application.ID, domain.AccountInput{Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	for range 120 {
		if _, err := s.Service.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{}); err != nil {
			t.Fatal(err)
		}
	}
	s.Sweeps.Paused.Store(true) // this test drives the sweep itself
	s.Service.SweepHook = func(context.Context, domain.Ref, int) error { return errors.New("stopped") }
	if err := s.Service.DeleteAccount(ctx, admin, acc.ID); err != nil {
		t.Fatal(err)
	}
	count := func(s *stack.Stack) int64 {
		a := &domain.Account{}
		if err := s.Store.Load(ctx, acc.Ref(), a); err != nil {
			t.Fatal(err)
		}
		return a.Children()
	}
	if n := count(s); n != 120 {
		t.Fatalf("before the restart the account counts %d", n)
	}
	s.Close()

	s = startData(t, stack.StoreSQLite, dir)
	defer s.Close()
	if n := count(s); n != 0 {
		t.Fatalf("after the restart the account counts %d", n)
	}
	if refs, err := s.Store.Sweeps(ctx, 10); err != nil || len(refs) != 0 {
		t.Fatalf("sweeps after the restart: %v %v", refs, err)
	}
}

// TestProjectorFinishesCascade: the request deletes an account with more
// keys than its sweep budget covers, and the projector, on the delete's
// event, sweeps the rest: no scheduled sweep, no restart.
func TestProjectorFinishesCascade(t *testing.T) {
	for _, c := range []struct {
		name string
		c    *client
		n    int
	}{{"sqlite", startTTL(t, 0), 400}, {"dynamodb", startDynamo(t, 0), 120}} {
		t.Run(c.name, func(t *testing.T) {
			cl := c.c
			cl.s.Service.SweepBatches = 1 // the request runs one batch, the projector the rest
			_, acc := cl.developer("tk421")
			accRef := domain.Ref{Kind: domain.KindAccount, ID: idOf(acc)}
			keys := cl.keysFor(accRef.ID, c.n)
			cl.must(204, cl.do("DELETE", acc["href"].(string), nil))
			if err := cl.s.Feed.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if p := cl.pendingSweeps(); len(p) != 0 {
				t.Fatalf("sweeps still pending: %v", p)
			}
			cl.allGone(keys)
			if dl := cl.s.Feed.DeadLetters(); len(dl) != 0 {
				t.Fatalf("dead letters: %v", dl)
			}
		})
	}
}
