package dynamo_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
)

// TestProjectChildCounts: a rebuild gives every parent's item the count
// of its live children, whatever order the log is read in, and only
// parents get one.
func TestProjectChildCounts(t *testing.T) {
	at := storetest.Epoch
	streams := map[string][]events.Envelope{}
	add := func(ref domain.Ref, evs ...events.Event) {
		t.Helper()
		for _, e := range evs {
			at = at.Add(1)
			env, err := events.Encode(ref.Stream(), int64(len(streams[ref.Stream()])+1), at, events.Meta{Tenant: "t"}, e)
			if err != nil {
				t.Fatal(err)
			}
			streams[ref.Stream()] = append(streams[ref.Stream()], env)
		}
	}
	app := domain.Ref{Kind: domain.KindApplication, ID: "app"}
	add(app, events.ApplicationCreated{ID: "app", TenantID: "t", DirectoryID: "dir", Name: "A", Status: domain.StatusEnabled})
	for _, id := range []string{"acc1", "acc2", "gone"} {
		add(domain.Ref{Kind: domain.KindAccount, ID: id}, events.AccountCreated{ID: id, TenantID: "t", ApplicationID: "app", DirectoryID: "dir", Username: id, Email: id + "@example.com", Status: domain.StatusEnabled})
	}
	add(domain.Ref{Kind: domain.KindAccount, ID: "gone"}, events.AccountDeleted{})
	add(domain.Ref{Kind: domain.KindGroup, ID: "g"}, events.GroupCreated{ID: "g", TenantID: "t", ApplicationID: "app", DirectoryID: "dir", Name: "g", Status: domain.StatusEnabled})
	for i, acc := range []string{"acc1", "acc1", "acc1", "acc2"} {
		id := fmt.Sprint("K", i)
		add(domain.Ref{Kind: domain.KindAPIKey, ID: id}, events.APIKeyCreated{ID: id, TenantID: "t", AccountID: acc, ApplicationID: "app", SecretHash: "00", Status: domain.StatusEnabled})
	}
	add(domain.Ref{Kind: domain.KindAPIKey, ID: "K1"}, events.APIKeyDeleted{})
	add(domain.Ref{Kind: domain.KindMembership, ID: "m1"}, events.MembershipCreated{ID: "m1", TenantID: "t", AccountID: "acc1", GroupID: "g"})
	add(domain.Ref{Kind: domain.KindMembership, ID: "m2"}, events.MembershipCreated{ID: "m2", TenantID: "t", AccountID: "acc2", GroupID: "g"}, events.MembershipDeleted{})

	items, err := dynamo.Project(streams)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"application#app": 3, "account#acc1": 3, "account#acc2": 1, "account#gone": 0, "group#g": 1}
	got := map[string]int64{}
	for _, it := range items {
		var row struct {
			PK       string `dynamodbav:"pk"`
			SK       string `dynamodbav:"sk"`
			Children *int64 `dynamodbav:"children"`
		}
		if err := attributevalue.UnmarshalMap(it, &row); err != nil {
			t.Fatal(err)
		}
		if row.Children != nil {
			got[row.PK] = *row.Children
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("child counts %v, want %v", got, want)
	}
}

// TestRebuildEqualsLiveAfterRaces: child counts kept by racing commits
// (children created while their parents are deleted, as in the domain's
// race tests) are exactly what a rebuild derives from the log.
func TestRebuildEqualsLiveAfterRaces(t *testing.T) {
	ctx := context.Background()
	x := newBench(t)
	const rounds, children = 6, 12
	accs := make([]string, children)
	for i := range accs {
		accs[i] = x.account(t, fmt.Sprint("member", i)).ID
	}
	for round := range rounds {
		app, err := x.svc.CreateApplication(ctx, x.admin, domain.ApplicationInput{Name: ptr(fmt.Sprint("app", round))})
		if err != nil {
			t.Fatal(err)
		}
		acc := x.account(t, fmt.Sprint("owner", round))
		g, err := x.svc.CreateGroup(ctx, x.admin, x.boot.Application.ID, domain.GroupInput{Name: ptr(fmt.Sprint("group", round))})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range children {
			wg.Go(func() { _, _ = x.svc.CreateAPIKey(ctx, x.admin, acc.ID, domain.APIKeyInput{}) })
			wg.Go(func() { _, _ = x.svc.CreateMembership(ctx, x.admin, accs[i], g.ID) })
			wg.Go(func() { _, _ = x.svc.CreateMembership(ctx, x.admin, acc.ID, g.ID) })
			wg.Go(func() {
				_, _ = x.svc.CreateGroup(ctx, x.admin, app.ID, domain.GroupInput{Name: ptr(fmt.Sprint("g", i))})
			})
		}
		// Outcomes vary from run to run; only their traces are compared.
		wg.Go(func() { _ = x.svc.DeleteAccount(ctx, x.admin, acc.ID) })
		wg.Go(func() { _ = x.svc.DeleteGroup(ctx, x.admin, g.ID) })
		wg.Go(func() { _ = x.svc.DeleteApplication(ctx, x.admin, app.ID) })
		wg.Wait()
	}
	live := views(t, x.h.Store)
	if _, err := x.h.Store.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffViews(live, views(t, x.h.Store), 10); d != "" {
		t.Fatalf("rebuilt views differ from live ones:\n%s", d)
	}
}
