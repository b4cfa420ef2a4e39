package sqlite_test

import (
	"context"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/sqlite"
)

// TestEventsStopsAtTheScanBudget: a filter that matches once in the
// whole log does not read the log in one call. Each call stops at its
// row budget, short (here empty) but with a Next, and the walk still ends
// with the one match, listed once.
func TestEventsStopsAtTheScanBudget(t *testing.T) {
	sqlite.SetEventScan(t, 4)
	ctx := context.Background()
	st := open(t, "")
	w := storetest.NewWorkload(t, st, 5)
	w.Run(20)
	all, err := st.Events(ctx, domain.EventQuery{Tenant: w.Admin.TenantID, Limit: domain.MaxLimit})
	if err != nil || all.Next != "" {
		t.Fatalf("the whole log in one page: %v, next %q", err, all.Next)
	}
	if len(all.Events) < 12 {
		t.Fatalf("the workload wrote %d events", len(all.Events))
	}
	q := domain.EventQuery{Tenant: w.Admin.TenantID, Types: []string{"tenant.created.v1"}, Limit: 2}
	var found []string
	calls, short := 0, 0
	for {
		calls++
		if calls > len(all.Events) {
			t.Fatal("the listing does not end")
		}
		page, err := st.Events(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			found = append(found, e.Stream)
		}
		if page.Next == "" {
			break
		}
		if len(page.Events) < q.Limit {
			short++
		}
		q.After = page.Next
	}
	if len(found) != 1 || found[0] != domain.KindTenant+"#"+w.Admin.TenantID {
		t.Fatalf("found %v, want the tenant's creation once", found)
	}
	if calls < (len(all.Events)+3)/4 || short == 0 {
		t.Fatalf("%d calls (%d short) for %d events at 4 rows a call", calls, short, len(all.Events))
	}
}
