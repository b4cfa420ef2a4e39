package domain_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/tokens"
)

func bptr(b bool) *bool { return &b }
func iptr(i int) *int   { return &i }

// sharedEnv is a shared directory mapped to two applications (A, B), a
// third application (C) that maps nothing of it, and a developer in the
// directory with a key.
type sharedEnv struct {
	*env
	dir     *domain.Directory
	a, b, c *domain.Application
	acc     *domain.Account
	key     domain.CreatedAPIKey
	tokens  *domain.TokenService
}

func setupShared(t *testing.T) *sharedEnv {
	t.Helper()
	e := setup(t)
	ctx := context.Background()
	dir, err := e.svc.CreateDirectory(ctx, e.admin, domain.DirectoryInput{Name: ptr("Troopers")})
	if err != nil {
		t.Fatal(err)
	}
	app := func(name string) *domain.Application {
		a, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr(name)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	s := &sharedEnv{env: e, dir: dir, a: app("Outpost A"), b: app("Outpost B"), c: app("Outpost C")}
	for _, a := range []*domain.Application{s.a, s.b} {
		if _, err := e.svc.CreateMapping(ctx, e.admin, domain.MappingInput{ApplicationID: a.ID, StoreKind: events.StoreDirectory, StoreID: dir.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if s.acc, err = e.svc.CreateDirectoryAccount(ctx, e.admin, dir.ID, domain.AccountInput{Username: ptr("tk421"), Email: ptr("tk421@example.com"), Password: ptr("Changeme1")}); err != nil {
		t.Fatal(err)
	}
	if s.key, err = e.svc.CreateAPIKey(ctx, e.admin, s.acc.ID, domain.APIKeyInput{}); err != nil {
		t.Fatal(err)
	}
	s.tokens = &domain.TokenService{Store: e.h.Store, Signer: tokens.NewSigner(tokens.NewFileStore("", e.clock), e.clock),
		Clock: e.clock, IDs: domain.RandomIDs{}, Issuer: "https://keystorm.test", Audience: "keystorm", Accounts: e.svc}
	return s
}

func (s *sharedEnv) login(t *testing.T, app string) error {
	t.Helper()
	_, err := s.svc.Login(context.Background(), s.admin, app, domain.LoginAttempt{Type: "basic", Value: basic("tk421", "Changeme1")})
	return err
}

func (s *sharedEnv) issue(app string) (domain.Issued, error) {
	return s.tokens.Issue(context.Background(), domain.TokenRequest{KeyID: s.key.Key.ID, Secret: s.key.Secret, ApplicationID: app, BaseURL: "https://keystorm.test"})
}

func reachOf(p domain.Principal) []string {
	var out []string
	if p.Reach != nil {
		for _, r := range *p.Reach {
			out = append(out, r.ApplicationID)
		}
	}
	return out
}

// TestSharedDirectoryReachesMappedApplications: an account of a
// directory mapped to two applications signs in at both and not at a
// third; its key authenticates for both, and an application's token
// endpoint issues that application's token; unmapping ends the reach,
// the tokens issued there included, and leaves the other application.
func TestSharedDirectoryReachesMappedApplications(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	if s.acc.ApplicationID != "" || s.acc.DirectoryID != s.dir.ID {
		t.Fatalf("account lives in %q/%q", s.acc.ApplicationID, s.acc.DirectoryID)
	}
	for _, app := range []string{s.a.ID, s.b.ID} {
		if err := s.login(t, app); err != nil {
			t.Fatalf("login at %s: %v", app, err)
		}
	}
	if err := s.login(t, s.c.ID); !errors.Is(err, domain.ErrLoginFailed) {
		t.Fatalf("login at an unmapped application: %v", err)
	}
	auth := &domain.KeyAuthenticator{Store: s.h.Store, Clock: s.clock, TTL: 5 * time.Second}
	p, err := auth.Authenticate(ctx, s.key.Key.ID, s.key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if got := reachOf(p); !slices.Equal(got, []string{s.a.ID, s.b.ID}) || p.ApplicationID != s.a.ID {
		t.Fatalf("reach %v, acting for %s", got, p.ApplicationID)
	}
	if q, ok := p.In(s.b.ID); !ok || q.ApplicationID != s.b.ID {
		t.Fatalf("In(B) = %+v %v", q, ok)
	}
	if _, ok := p.In(s.c.ID); ok {
		t.Fatal("the key acts for an application that does not map its directory")
	}
	tokB, err := s.issue(s.b.ID)
	if err != nil || tokB.Token.ApplicationID != s.b.ID {
		t.Fatalf("token at B: %v %+v", err, tokB.Token)
	}
	if _, err := s.issue(s.c.ID); err == nil {
		t.Fatal("a token issued at an application that does not map the directory")
	}
	if live, err := domain.TokenLive(ctx, s.h.Store, tokB.Token, s.clock.Now()); err != nil || !live {
		t.Fatalf("token of B live = %v %v", live, err)
	}
	// B unmaps the directory: its token dies, A's reach stays.
	ms, _, err := s.svc.ListMappings(ctx, s.admin, s.b.ID, domain.Page{})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m domain.AccountStoreMapping) bool { return m.StoreID == s.dir.ID })
	if i < 0 {
		t.Fatalf("mappings of B: %+v", ms)
	}
	if err := s.svc.DeleteMapping(ctx, s.admin, ms[i].ID); err != nil {
		t.Fatal(err)
	}
	if live, err := domain.TokenLive(ctx, s.h.Store, tokB.Token, s.clock.Now()); err != nil || live {
		t.Fatalf("token of B live after unmapping = %v %v", live, err)
	}
	if err := s.login(t, s.b.ID); !errors.Is(err, domain.ErrLoginFailed) {
		t.Fatalf("login at B after unmapping: %v", err)
	}
	if _, err := s.issue(s.b.ID); err == nil {
		t.Fatal("a token issued at B after unmapping")
	}
	if _, err := s.issue(s.a.ID); err != nil {
		t.Fatalf("token at A: %v", err)
	}
	fresh := &domain.KeyAuthenticator{Store: s.h.Store, Clock: s.clock}
	if p, err := fresh.Authenticate(ctx, s.key.Key.ID, s.key.Secret); err != nil || !slices.Equal(reachOf(p), []string{s.a.ID}) {
		t.Fatalf("reach after unmapping B: %v %v", reachOf(p), err)
	}
}

// TestDisabledDirectoryLocksOut: disabling the shared directory refuses
// its accounts everywhere; enabling it lets them back.
func TestDisabledDirectoryLocksOut(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	if _, err := s.svc.UpdateDirectory(ctx, s.admin, s.dir.ID, domain.DirectoryInput{Status: ptr(domain.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	auth := &domain.KeyAuthenticator{Store: s.h.Store, Clock: s.clock}
	if _, err := auth.Authenticate(ctx, s.key.Key.ID, s.key.Secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("key of a disabled directory: %v", err)
	}
	if err := s.login(t, s.a.ID); err == nil {
		t.Fatal("login in a disabled directory")
	}
	if _, err := s.svc.UpdateDirectory(ctx, s.admin, s.dir.ID, domain.DirectoryInput{Status: ptr(domain.StatusEnabled)}); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, s.key.Key.ID, s.key.Secret); err != nil {
		t.Fatalf("key after enabling: %v", err)
	}
}

// TestGroupStoreReachesMembersOnly: an application that maps a group
// reaches that group's members, not the rest of its directory.
func TestGroupStoreReachesMembersOnly(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	g, err := s.svc.CreateDirectoryGroup(ctx, s.admin, s.dir.ID, domain.GroupInput{Name: ptr("officers")})
	if err != nil {
		t.Fatal(err)
	}
	if g.ApplicationID != "" || g.DirectoryID != s.dir.ID {
		t.Fatalf("group lives in %q/%q", g.ApplicationID, g.DirectoryID)
	}
	if _, err := s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.c.ID, StoreKind: events.StoreGroup, StoreID: g.ID, DefaultAccountStore: bptr(true)}); domain.KindOf(err) != domain.KindInvalid {
		t.Fatalf("a group as default account store: %v", err)
	}
	if _, err := s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.c.ID, StoreKind: events.StoreGroup, StoreID: g.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.login(t, s.c.ID); !errors.Is(err, domain.ErrLoginFailed) {
		t.Fatalf("a non-member signed in through a group store: %v", err)
	}
	if _, err := s.svc.CreateMembership(ctx, s.admin, s.acc.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.login(t, s.c.ID); err != nil {
		t.Fatalf("a member through a group store: %v", err)
	}
	if _, err := s.issue(s.c.ID); err != nil {
		t.Fatalf("token at C for a member: %v", err)
	}
	// Deleting the group unmaps it.
	if err := s.svc.DeleteGroup(ctx, s.admin, g.ID); err != nil {
		t.Fatal(err)
	}
	ms, _, err := s.svc.ListMappings(ctx, s.admin, s.c.ID, domain.Page{})
	if err != nil || slices.ContainsFunc(ms, func(m domain.AccountStoreMapping) bool { return m.StoreID == g.ID }) {
		t.Fatalf("mappings of C after the group's delete: %+v %v", ms, err)
	}
}

// TestDefaultAccountStore: an application creates accounts and groups
// in its default stores; without one it says so.
func TestDefaultAccountStore(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	ms, _, err := s.svc.ListMappings(ctx, s.admin, s.a.ID, domain.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].ID != s.a.ID || ms[0].StoreID != s.a.DirectoryID || !ms[0].DefaultAccountStore || ms[1].StoreID != s.dir.ID || ms[1].ListIndex != 1 {
		t.Fatalf("mappings of A: %+v", ms)
	}
	m, err := s.svc.UpdateMapping(ctx, s.admin, ms[1].ID, domain.MappingInput{ListIndex: iptr(0), DefaultAccountStore: bptr(true), DefaultGroupStore: bptr(true)})
	if err != nil || m.ListIndex != 0 || !m.DefaultAccountStore {
		t.Fatalf("update: %+v %v", m, err)
	}
	acc, err := s.svc.CreateAccount(ctx, s.admin, s.a.ID, domain.AccountInput{Username: ptr("fn2187"), Email: ptr("fn2187@example.com"), Password: ptr("Changeme1")})
	if err != nil || acc.DirectoryID != s.dir.ID || acc.ApplicationID != "" {
		t.Fatalf("account created by A: %+v %v", acc, err)
	}
	g, err := s.svc.CreateGroup(ctx, s.admin, s.a.ID, domain.GroupInput{Name: ptr("pilots")})
	if err != nil || g.DirectoryID != s.dir.ID {
		t.Fatalf("group created by A: %+v %v", g, err)
	}
	// A lists both its directories' accounts, in creation order, and
	// no other application's.
	s.account(t, "tk999") // the bootstrap application's
	own, err := s.svc.CreateDirectoryAccount(ctx, s.admin, s.a.DirectoryID, domain.AccountInput{Username: ptr("own1"), Email: ptr("own1@example.com"), Password: ptr("Changeme1")})
	if err != nil || own.ApplicationID != s.a.ID {
		t.Fatalf("account in A's own directory: %+v %v", own, err)
	}
	list, err := s.svc.ListAccounts(ctx, s.admin, s.a.ID, domain.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list.Items {
		names = append(names, a.Username)
	}
	if !slices.Equal(names, []string{"tk421", "fn2187", "own1"}) || list.Size != 3 {
		t.Fatalf("accounts of A: %v (size %d)", names, list.Size)
	}
	// The tenant's directories: the shared one, and the own directories
	// of the administrators, bootstrap, A, B and C applications.
	dirs, err := s.svc.ListDirectories(ctx, s.admin, domain.Page{})
	if err != nil || dirs.Size != 6 {
		t.Fatalf("directories: %d %v", dirs.Size, err)
	}
	// Without a default store, creating through C says so.
	if err := s.svc.DeleteMapping(ctx, s.admin, s.c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.svc.CreateAccount(ctx, s.admin, s.c.ID, domain.AccountInput{Username: ptr("x1"), Email: ptr("x1@example.com"), Password: ptr("Changeme1")})
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeNoDefaultStore {
		t.Fatalf("create without a default store: %v", err)
	}
}

// TestMappingRules: a store is mapped once, must exist, and the
// administrators application's stores stay as they are; an
// application's own directory changes only with its application.
func TestMappingRules(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	_, err := s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.a.ID, StoreKind: events.StoreDirectory, StoreID: s.dir.ID})
	wantKind(t, err, domain.KindConflict)
	_, err = s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.a.ID, StoreKind: events.StoreDirectory, StoreID: "nosuchdirectory"})
	wantKind(t, err, domain.KindInvalid)
	_, err = s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.boot.AdminApp.ID, StoreKind: events.StoreDirectory, StoreID: s.dir.ID})
	wantKind(t, err, domain.KindConflict)
	_, err = s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.c.ID, StoreKind: events.StoreDirectory, StoreID: s.boot.AdminApp.DirectoryID})
	wantKind(t, err, domain.KindConflict)
	_, err = s.svc.UpdateDirectory(ctx, s.admin, s.a.DirectoryID, domain.DirectoryInput{Name: ptr("renamed")})
	wantKind(t, err, domain.KindConflict)
	v, err := s.svc.GetDirectory(ctx, s.admin, s.a.DirectoryID)
	if err != nil || v.Owner == nil || v.Name() != "Outpost A Directory" {
		t.Fatalf("own directory: %+v %v", v, err)
	}
	// Another application may map A's own directory: A's accounts then
	// reach it too.
	if _, err := s.svc.CreateMapping(ctx, s.admin, domain.MappingInput{ApplicationID: s.c.ID, StoreKind: events.StoreDirectory, StoreID: s.a.DirectoryID, ListIndex: iptr(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.CreateAccount(ctx, s.admin, s.a.ID, domain.AccountInput{Username: ptr("own1"), Email: ptr("own1@example.com"), Password: ptr("Changeme1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Login(ctx, s.admin, s.c.ID, domain.LoginAttempt{Type: "basic", Value: basic("own1", "Changeme1")}); err != nil {
		t.Fatalf("A's account at C: %v", err)
	}
	// Deleting A unmaps its directory from C.
	if err := s.svc.DeleteApplication(ctx, s.admin, s.a.ID); err != nil {
		t.Fatal(err)
	}
	ms, _, err := s.svc.ListMappings(ctx, s.admin, s.c.ID, domain.Page{})
	if err != nil || slices.ContainsFunc(ms, func(m domain.AccountStoreMapping) bool { return m.StoreID == s.a.DirectoryID }) {
		t.Fatalf("mappings of C after A's delete: %+v %v", ms, err)
	}
}

// TestDeleteDirectory: a shared directory goes with its accounts and
// keys, and out of every mapping.
func TestDeleteDirectory(t *testing.T) {
	s := setupShared(t)
	ctx := context.Background()
	if err := s.svc.DeleteDirectory(ctx, s.admin, s.dir.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.GetAccount(ctx, s.admin, s.acc.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("account after its directory's delete: %v", err)
	}
	auth := &domain.KeyAuthenticator{Store: s.h.Store, Clock: s.clock}
	if _, err := auth.Authenticate(ctx, s.key.Key.ID, s.key.Secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("key after its directory's delete: %v", err)
	}
	for _, app := range []string{s.a.ID, s.b.ID} {
		ms, _, err := s.svc.ListMappings(ctx, s.admin, app, domain.Page{})
		if err != nil || len(ms) != 1 {
			t.Fatalf("mappings of %s after the delete: %+v %v", app, ms, err)
		}
	}
	if _, err := s.svc.GetDirectory(ctx, s.admin, s.dir.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("directory after delete: %v", err)
	}
}
