package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// bench is a bootstrapped service on a SQLite file (WAL), as the local
// server will run it, with one account holding a number of API keys.
type bench struct {
	st    *sqlite.Store
	svc   *domain.Service
	admin domain.Caller
	acc   *domain.Account
}

func newBench(b *testing.B, keys int) *bench {
	b.Helper()
	ctx := context.Background()
	st := open(b, filepath.Join(b.TempDir(), "keystorm.db"))
	svc := domain.NewService(st)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		b.Fatal(err)
	}
	x := &bench{st: st, svc: svc, admin: domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}}
	name, email, pw := "tk421", "tk421@example.com", "Changeme1"
	if x.acc, err = svc.CreateAccount(ctx, x.admin, boot.Application.ID, domain.AccountInput{Username: &name, Email: &email, Password: &pw}); err != nil {
		b.Fatal(err)
	}
	for range keys {
		x.createKey(b)
	}
	return x
}

func (x *bench) createKey(b *testing.B) {
	if _, err := x.svc.CreateAPIKey(context.Background(), x.admin, x.acc.ID, domain.APIKeyInput{}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCreateAPIKey measures domain.Service.CreateAPIKey (load the
// account, one commit: event, key state, guard-free, the account's child
// count) under an account that already holds 100 or 10,000 keys: the
// commit touches fixed rows, so the cost should not grow with the count.
func BenchmarkCreateAPIKey(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			x := newBench(b, n)
			for b.Loop() {
				x.createKey(b)
			}
		})
	}
}

// BenchmarkListFirstPage measures Store.List of the first page (25, the
// API's default) of an account's keys, with its total, at 100 and 10,000
// keys. The page is an index range and the total one row of sizes, so
// neither grows with the collection.
func BenchmarkListFirstPage(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			x := newBench(b, n)
			ctx := context.Background()
			coll := "account/" + x.acc.ID + "/apikeys"
			for b.Loop() {
				page, total, err := x.st.List(ctx, coll, 0, domain.DefaultLimit)
				if err != nil || len(page) != domain.DefaultLimit || total != n {
					b.Fatalf("list: %d items, total %d, %v", len(page), total, err)
				}
			}
		})
	}
}

// BenchmarkListDeepPage reads the last page of 25 of an account's 10,000
// keys two ways: by offset, which walks the index past 9,975 entries, and
// by position (ListAfter), which seeks to the page; compare the latter
// with BenchmarkListFirstPage.
func BenchmarkListDeepPage(b *testing.B) {
	const n = 10_000
	x := newBench(b, n)
	ctx := context.Background()
	coll := "account/" + x.acc.ID + "/apikeys"
	before, _, err := x.st.List(ctx, coll, n-2*domain.DefaultLimit, domain.DefaultLimit)
	if err != nil || len(before) != domain.DefaultLimit {
		b.Fatalf("page before the last: %d items, %v", len(before), err)
	}
	after := before[len(before)-1].SortKey()
	b.Run("offset", func(b *testing.B) {
		for b.Loop() {
			page, _, err := x.st.List(ctx, coll, n-domain.DefaultLimit, domain.DefaultLimit)
			if err != nil || len(page) != domain.DefaultLimit {
				b.Fatalf("list: %d items, %v", len(page), err)
			}
		}
	})
	b.Run("after", func(b *testing.B) {
		for b.Loop() {
			page, _, err := x.st.ListAfter(ctx, coll, after, domain.DefaultLimit)
			if err != nil || len(page) != domain.DefaultLimit {
				b.Fatalf("list after: %d items, %v", len(page), err)
			}
		}
	})
}

// BenchmarkEvents measures one page of a tenant's audit log over a few
// thousand events: unfiltered (an index range read backwards) and
// filtered to a type the log holds once (the filter walks the tenant's
// index range, the worst case).
func BenchmarkEvents(b *testing.B) {
	x := newBench(b, 2000)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		q    domain.EventQuery
	}{
		{"page", domain.EventQuery{Tenant: x.admin.TenantID, Limit: domain.DefaultLimit}},
		{"rare-type", domain.EventQuery{Tenant: x.admin.TenantID, Limit: domain.DefaultLimit, Types: []string{"tenant.created.v1"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := x.st.Events(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
