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
