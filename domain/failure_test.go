package domain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	miniserver "github.com/truora/minidyn/server"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

// storeDump is every event and every views item, one canonical line each.
func storeDump(t testing.TB, st *dynamo.Store) []string {
	t.Helper()
	ctx := context.Background()
	streams, err := st.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, envs := range streams {
		for _, env := range envs {
			b, _ := json.Marshal(env)
			out = append(out, "event "+string(b))
		}
	}
	items, err := st.ScanViews(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		var m map[string]any
		if err := attributevalue.UnmarshalMap(it, &m); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		out = append(out, "view "+string(b))
	}
	slices.Sort(out)
	return out
}

// emulate sets a failure on the embedded server. minidyn writes its global
// failure flag without its lock; the table-scoped call that follows takes
// that lock, which orders the write before every later request under the
// race detector.
func emulate(srv *embedded.Server, set func(*miniserver.Server)) {
	set(srv.Server)
	srv.EmulateFailureForTable("keystorm-sync", miniserver.FailureConditionNone)
}

func clearFailures(srv *embedded.Server) {
	emulate(srv, func(s *miniserver.Server) {
		s.EmulateFailure(miniserver.FailureConditionNone)
		for _, table := range []string{"keystorm-events", "keystorm-views"} {
			s.EmulateFailureForTable(table, miniserver.FailureConditionNone)
			s.EmulateFailureForTable(table, miniserver.FailureConditionNone, "gsi1")
			s.EmulateFailureForTable(table, miniserver.FailureConditionNone, "gsi2")
		}
	})
}

// noRetryService is e's service on a client that does not retry, so that
// one emulated failure is one failed call and the test stays fast.
func noRetryService(e *env) *domain.Service {
	db := dynamodb.New(e.h.Store.DB.Options(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	svc := domain.NewService(dynamo.New(db, e.h.Server.Config()))
	svc.Clock, svc.Hasher, svc.IDs = e.clock, cheapHasher, e.svc.IDs
	return svc
}

func wantStoreFailure(t *testing.T, err error) {
	t.Helper()
	if k := domain.KindOf(err); err == nil || (k != domain.KindUnavailable && k != domain.KindInternal) {
		t.Fatalf("want an unavailable (or internal) error, got kind %d: %v", k, err)
	}
}

// TestStoreFailureLeavesNoPartialState: whichever DynamoDB call fails —
// every call, only the events table (so the reads succeed and the
// transaction fails), only the views table, or only the collection index a
// cascade reads — a command fails as unavailable and leaves both tables
// exactly as they were. Retrying it with the same Idempotency-Key once the
// store is back does the work exactly once. It runs at the fixed date and
// three years either side (storetest.Epochs): the Idempotency-Key replay
// must judge expiry by the service's clock, never by the wall clock.
func TestStoreFailureLeavesNoPartialState(t *testing.T) {
	scopes := []struct {
		name string
		set  func(*miniserver.Server)
	}{
		{"everything", func(s *miniserver.Server) { s.EmulateFailure(miniserver.FailureConditionInternalServerError) }},
		{"events table", func(s *miniserver.Server) {
			s.EmulateFailureForTable("keystorm-events", miniserver.FailureConditionInternalServerError)
		}},
		{"views table", func(s *miniserver.Server) {
			s.EmulateFailureForTable("keystorm-views", miniserver.FailureConditionInternalServerError)
		}},
		{"views gsi1", func(s *miniserver.Server) {
			s.EmulateFailureForTable("keystorm-views", miniserver.FailureConditionInternalServerError, "gsi1")
		}},
	}
	type command struct {
		name string
		// prepare runs before the failure; do runs the command and
		// returns the id of the resource it created or changed.
		prepare func(t *testing.T, e *env) string
		do      func(ctx context.Context, svc *domain.Service, c domain.Caller, arg string) (string, error)
		// count measures what the command changes; delta is by how much
		// one successful run changes it.
		count func(t *testing.T, e *env, arg string) int
		delta int
	}
	ctx := context.Background()
	countList := func(coll string) func(t *testing.T, e *env, arg string) int {
		return func(t *testing.T, e *env, arg string) int {
			_, n, err := e.h.Store.List(ctx, fmt.Sprintf(coll, arg), 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	commands := []command{
		{
			name:    "CreateAccount",
			prepare: func(t *testing.T, e *env) string { return e.boot.Application.ID },
			do: func(ctx context.Context, svc *domain.Service, c domain.Caller, app string) (string, error) {
				acc, err := svc.CreateAccount(ctx, c, app, domain.AccountInput{Username: ptr("fn2187"), Email: ptr("fn2187@example.com"), Password: ptr("Changeme1"),
					CustomData: map[string]json.RawMessage{"rank": json.RawMessage(`"trooper"`)}})
				if err != nil {
					return "", err
				}
				return acc.ID, nil
			},
			count: countList("application/%s/accounts"),
			delta: 1,
		},
		{
			name:    "CreateAPIKey",
			prepare: func(t *testing.T, e *env) string { return e.account(t, "fn2187").ID },
			do: func(ctx context.Context, svc *domain.Service, c domain.Caller, acc string) (string, error) {
				k, err := svc.CreateAPIKey(ctx, c, acc, domain.APIKeyInput{Name: ptr("laptop")})
				if err != nil {
					return "", err
				}
				return k.Key.ID, nil
			},
			count: countList("account/%s/apikeys"),
			delta: 1,
		},
		{
			name: "DeleteAccountWithKeysAndMemberships",
			prepare: func(t *testing.T, e *env) string {
				acc := e.account(t, "fn2187")
				for range 3 {
					if _, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{}); err != nil {
						t.Fatal(err)
					}
				}
				g, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr("troopers")})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.CreateMembership(ctx, e.admin, acc.ID, g.ID); err != nil {
					t.Fatal(err)
				}
				return acc.ID
			},
			do: func(ctx context.Context, svc *domain.Service, c domain.Caller, acc string) (string, error) {
				return acc, svc.DeleteAccount(ctx, c, acc)
			},
			// The account goes with its 3 keys and 1 membership.
			count: func(t *testing.T, e *env, acc string) int {
				n := 0
				for _, coll := range []string{"account/%s/apikeys", "account/%s/memberships"} {
					n += countList(coll)(t, e, acc)
				}
				return n + countList("application/%s/accounts")(t, e, e.boot.Application.ID)
			},
			delta: -5,
		},
		{
			name:    "UpdateCustomData",
			prepare: func(t *testing.T, e *env) string { return e.account(t, "fn2187").ID },
			do: func(ctx context.Context, svc *domain.Service, c domain.Caller, acc string) (string, error) {
				cd, err := svc.UpdateCustomData(ctx, c, domain.Ref{Kind: domain.KindAccount, ID: acc}, map[string]json.RawMessage{"rank": json.RawMessage(`"sergeant"`)})
				if err != nil {
					return "", err
				}
				return cd.Owner.ID, nil
			},
			// Events on the account's stream; the new value is checked
			// after the retries.
			count: func(t *testing.T, e *env, acc string) int {
				a, err := e.svc.GetAccount(ctx, e.admin, acc)
				if err != nil {
					t.Fatal(err)
				}
				return int(a.Version())
			},
			delta: 1,
		},
	}
	for _, epoch := range storetest.Epochs() {
		for _, cmd := range commands {
			for _, scope := range scopes {
				t.Run(epoch.Name+"/"+cmd.name+"/"+scope.name, func(t *testing.T) {
					e := setupAt(t, epoch.At)
					svc := noRetryService(e)
					arg := cmd.prepare(t, e)
					base := cmd.count(t, e, arg)
					c := e.admin
					c.IdempotencyKey, c.Fingerprint = "idem-"+cmd.name, "fp-"+cmd.name

					before := storeDump(t, e.h.Store)
					emulate(e.h.Server, scope.set)
					_, err := cmd.do(ctx, svc, c, arg)
					clearFailures(e.h.Server)
					if scope.name == "views gsi1" && cmd.name != "DeleteAccountWithKeysAndMemberships" {
						// Only the cascade reads a collection; the others
						// must not even notice.
						if err != nil {
							t.Fatalf("unrelated index failure broke the command: %v", err)
						}
						return
					}
					wantStoreFailure(t, err)
					if after := storeDump(t, e.h.Store); !slices.Equal(before, after) {
						t.Fatalf("failed command left partial state:\nbefore %d items, after %d items", len(before), len(after))
					}

					id1, err := cmd.do(ctx, svc, c, arg)
					if err != nil {
						t.Fatalf("retry: %v", err)
					}
					id2, err := cmd.do(ctx, svc, c, arg)
					if err != nil || id2 != id1 {
						t.Fatalf("second retry: %q %v, want %q", id2, err, id1)
					}
					if got := cmd.count(t, e, arg); got != base+cmd.delta {
						t.Fatalf("count %d after the retries, want %d%+d", got, base, cmd.delta)
					}
				})
			}
		}
	}
}

// TestStoreFailureWithSDKRetries: with the SDK's own retries left on, a
// store that stays down still ends in an unavailable error and no partial
// state (the retries only cost time).
func TestStoreFailureWithSDKRetries(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// The Counter counts API calls, once each however often the SDK
	// retries; count HTTP attempts underneath it.
	var attempts atomic.Int64
	db := dynamodb.New(e.h.Store.DB.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = countingDoer{next: o.HTTPClient, n: &attempts}
	})
	svc := domain.NewService(dynamo.New(db, e.h.Server.Config()))
	svc.Clock, svc.Hasher = e.clock, cheapHasher
	before := storeDump(t, e.h.Store)
	emulate(e.h.Server, func(s *miniserver.Server) {
		s.EmulateFailureForTable("keystorm-events", miniserver.FailureConditionInternalServerError)
	})
	attempts.Store(0)
	_, err := svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{Email: ptr("fn2187@example.com"), Password: ptr("Changeme1")})
	clearFailures(e.h.Server)
	wantStoreFailure(t, err)
	// GetItem (the application) once, then the transaction with retries.
	if n := attempts.Load(); n < 3 {
		t.Fatalf("%d HTTP attempts; the SDK should have retried the transaction", n)
	}
	if after := storeDump(t, e.h.Store); !slices.Equal(before, after) {
		t.Fatal("failed command left partial state")
	}
	if _, err := svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{Email: ptr("fn2187@example.com"), Password: ptr("Changeme1")}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

type countingDoer struct {
	next dynamodb.HTTPClient
	n    *atomic.Int64
}

func (d countingDoer) Do(r *http.Request) (*http.Response, error) {
	d.n.Add(1)
	return d.next.Do(r)
}
