package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/embedded"
)

// bench is a bootstrapped service on embedded minidyn.
type bench struct {
	h     *embedded.Harness
	svc   *domain.Service
	admin domain.Caller
	boot  domain.Bootstrapped
}

func newBench(b testing.TB) *bench {
	b.Helper()
	h := embedded.New(b)
	svc := domain.NewService(h.Store)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(context.Background(), domain.BootstrapInput{})
	if err != nil {
		b.Fatal(err)
	}
	return &bench{h: h, svc: svc, boot: boot,
		admin: domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}}
}

func (x *bench) account(b testing.TB, name string) *domain.Account {
	b.Helper()
	pw := "Changeme1"
	acc, err := x.svc.CreateAccount(context.Background(), x.admin, x.boot.Application.ID, domain.AccountInput{Username: &name, Email: ptr(name + "@example.com"), Password: &pw})
	if err != nil {
		b.Fatal(err)
	}
	return acc
}

func (x *bench) key(b testing.TB, accID string) *domain.APIKey {
	b.Helper()
	k, err := x.svc.CreateAPIKey(context.Background(), x.admin, accID, domain.APIKeyInput{})
	if err != nil {
		b.Fatal(err)
	}
	return k.Key
}

func ptr(s string) *string { return &s }

// grow appends updates to a key's stream until it holds n events, in
// commits of 98 events plus the state item (the transaction limit is
// 100), so the state item and the log stay consistent.
func (x *bench) grow(b testing.TB, id string, n int64) {
	b.Helper()
	ctx := context.Background()
	cur := &domain.APIKey{}
	if err := x.h.Store.Load(ctx, domain.Ref{Kind: domain.KindAPIKey, ID: id}, cur); err != nil {
		b.Fatal(err)
	}
	at := cur.ModifiedAt
	for cur.Version() < n {
		next := &domain.APIKey{}
		raw, _ := json.Marshal(cur)
		if err := json.Unmarshal(raw, next); err != nil {
			b.Fatal(err)
		}
		ch := domain.Change{Before: cur, After: next}
		for range min(98, n-cur.Version()) {
			at = at.Add(time.Millisecond)
			env, err := events.Encode(next.Ref().Stream(), next.Version()+1, at, events.Meta{Tenant: next.Tenant}, events.APIKeyUpdated{Name: fmt.Sprintf("seed %d", next.Version()+1), Status: domain.StatusEnabled})
			if err != nil {
				b.Fatal(err)
			}
			if err := next.Apply(env); err != nil {
				b.Fatal(err)
			}
			ch.Events = append(ch.Events, env)
		}
		if err := x.h.Store.Commit(ctx, domain.Commit{Changes: []domain.Change{ch}}); err != nil {
			b.Fatal(err)
		}
		cur = next
	}
}

// benchUpdateKey measures one UpdateAPIKey on a key whose stream holds
// streamLen events, in an events table that holds at least tableLen.
func benchUpdateKey(b *testing.B, streamLen, tableLen int64) {
	x := newBench(b)
	ctx := context.Background()
	acc := x.account(b, "tk421")
	k := x.key(b, acc.ID)
	x.grow(b, k.ID, streamLen)
	if tableLen > streamLen {
		x.grow(b, x.key(b, acc.ID).ID, tableLen-streamLen)
	}
	x.h.Counter.Reset()
	i := 0
	for b.Loop() {
		i++
		if _, err := x.svc.UpdateAPIKey(ctx, x.admin, k.ID, domain.APIKeyInput{Name: ptr(fmt.Sprintf("bench %d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.h.Counter.Total())/float64(b.N), "calls/op")
	final := &domain.APIKey{}
	if err := x.h.Store.Load(ctx, k.Ref(), final); err != nil || final.Version() != streamLen+int64(b.N) {
		b.Fatalf("stream at v%d, want %d: %v", final.Version(), streamLen+int64(b.N), err)
	}
}

// BenchmarkCommandAt10Events and BenchmarkCommandAt10000Events show that
// a command's cost does not grow with its stream: it loads the state
// item, never the events. calls/op is the same; any ns/op difference is
// minidyn's, which copies every table touched by a transaction (see
// BenchmarkCommandAt10EventsIn10000EventTable, same table size, short
// stream).
func BenchmarkCommandAt10Events(b *testing.B)    { benchUpdateKey(b, 10, 10) }
func BenchmarkCommandAt10000Events(b *testing.B) { benchUpdateKey(b, 10000, 10000) }

// BenchmarkCommandAt10EventsIn10000EventTable: a 10-event stream in an
// events table as large as the 10,000-event benchmark's.
func BenchmarkCommandAt10EventsIn10000EventTable(b *testing.B) { benchUpdateKey(b, 10, 10000) }

// BenchmarkCalls reports DynamoDB API calls per operation (calls/op;
// an SDK retry of a call is not counted again).
func BenchmarkCalls(b *testing.B) {
	ctx := context.Background()
	measure := func(b *testing.B, x *bench, setup func(i int) string, op func(i int, arg string) error) {
		b.Helper()
		var calls int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			arg := setup(i)
			before := x.h.Counter.Total()
			b.StartTimer()
			if err := op(i, arg); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			calls += x.h.Counter.Total() - before
			b.StartTimer()
		}
		b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	}
	none := func(int) string { return "" }

	b.Run("CreateAccount", func(b *testing.B) {
		x := newBench(b)
		measure(b, x, none, func(i int, _ string) error {
			_, err := x.svc.CreateAccount(ctx, x.admin, x.boot.Application.ID, domain.AccountInput{Email: ptr(fmt.Sprintf("u%d@example.com", i)), Password: ptr("Changeme1")})
			return err
		})
	})
	b.Run("CreateAccountIdempotencyKey", func(b *testing.B) {
		x := newBench(b)
		measure(b, x, none, func(i int, _ string) error {
			c := x.admin
			c.IdempotencyKey, c.Fingerprint = fmt.Sprint("k", i), "f"
			_, err := x.svc.CreateAccount(ctx, c, x.boot.Application.ID, domain.AccountInput{Email: ptr(fmt.Sprintf("u%d@example.com", i)), Password: ptr("Changeme1")})
			return err
		})
	})
	b.Run("CreateAPIKey", func(b *testing.B) {
		x := newBench(b)
		acc := x.account(b, "tk421")
		measure(b, x, none, func(int, string) error {
			_, err := x.svc.CreateAPIKey(ctx, x.admin, acc.ID, domain.APIKeyInput{})
			return err
		})
	})
	b.Run("UpdateAPIKey", func(b *testing.B) {
		x := newBench(b)
		k := x.key(b, x.account(b, "tk421").ID)
		measure(b, x, none, func(i int, _ string) error {
			_, err := x.svc.UpdateAPIKey(ctx, x.admin, k.ID, domain.APIKeyInput{Name: ptr(fmt.Sprint("n", i))})
			return err
		})
	})
	b.Run("GetAccount", func(b *testing.B) {
		x := newBench(b)
		acc := x.account(b, "tk421")
		measure(b, x, none, func(int, string) error {
			_, err := x.svc.GetAccount(ctx, x.admin, acc.ID)
			return err
		})
	})
	b.Run("ListAccountsPageOf25Of100", func(b *testing.B) {
		x := newBench(b)
		for i := range 100 {
			x.account(b, fmt.Sprint("u", i))
		}
		measure(b, x, none, func(int, string) error {
			l, err := x.svc.ListAccounts(ctx, x.admin, x.boot.Application.ID, domain.Page{Offset: 50, Limit: 25})
			if err == nil && (len(l.Items) != 25 || l.Size != 100) {
				err = fmt.Errorf("page of %d, size %d", len(l.Items), l.Size)
			}
			return err
		})
	})
	for _, n := range []int{0, 5, 40} {
		b.Run(fmt.Sprintf("DeleteAccountWith%dKeys", n), func(b *testing.B) {
			x := newBench(b)
			measure(b, x, func(i int) string {
				acc := x.account(b, fmt.Sprint("d", i))
				for range n {
					x.key(b, acc.ID)
				}
				return acc.ID
			}, func(_ int, id string) error {
				return x.svc.DeleteAccount(ctx, x.admin, id)
			})
		})
	}
	b.Run("DeleteAccountWith5KeysAnd2Memberships", func(b *testing.B) {
		x := newBench(b)
		var groups []string
		for i := range 2 {
			g, err := x.svc.CreateGroup(ctx, x.admin, x.boot.Application.ID, domain.GroupInput{Name: ptr(fmt.Sprint("g", i))})
			if err != nil {
				b.Fatal(err)
			}
			groups = append(groups, g.ID)
		}
		measure(b, x, func(i int) string {
			acc := x.account(b, fmt.Sprint("d", i))
			for range 5 {
				x.key(b, acc.ID)
			}
			for _, g := range groups {
				if _, err := x.svc.CreateMembership(ctx, x.admin, acc.ID, g); err != nil {
					b.Fatal(err)
				}
			}
			return acc.ID
		}, func(_ int, id string) error {
			return x.svc.DeleteAccount(ctx, x.admin, id)
		})
	})
	b.Run("AuthenticateMiss", func(b *testing.B) {
		x := newBench(b)
		measure(b, x, none, func(int, string) error {
			// A fresh cache every time: the miss path.
			auth := &domain.KeyAuthenticator{Store: x.h.Store, Clock: domain.ClockFunc(time.Now), TTL: time.Second}
			_, err := auth.Authenticate(ctx, x.boot.AdminKey.ID, x.boot.AdminSecret)
			return err
		})
	})
}
