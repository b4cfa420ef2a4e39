package dynamo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

// TestRebuildBackfillsTheLogIndex: events written before the log index
// existed have no tenant or logsk, so the index (and Events) miss them;
// Rebuild gives every one of them exactly the attributes Commit writes,
// and leaves events that have them alone.
func TestRebuildBackfillsTheLogIndex(t *testing.T) {
	ctx := context.Background()
	h := embedded.New(t)
	w := storetest.NewWorkload(t, h.Store, 3)
	w.Run(30)
	want, err := scanTable(ctx, h.Store, h.Store.Events)
	if err != nil {
		t.Fatal(err)
	}
	log := h.Store.EventLog()
	tenant := w.Admin.TenantID
	listed := func() int {
		n := 0
		q := domain.EventQuery{Tenant: tenant, Limit: domain.MaxLimit}
		for {
			page, err := log.Events(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Events)
			if page.Next == "" {
				return n
			}
			q.After = page.Next
		}
	}
	live := listed()
	if live == 0 {
		t.Fatal("the workload wrote no events of its tenant")
	}

	// Make every event what the store wrote before the index. Deleted
	// and put back rather than updated with REMOVE: minidyn keeps an
	// item in an index when an update removes its index keys.
	in := &dynamodb.ScanInput{TableName: aws.String(h.Store.Events), ConsistentRead: aws.Bool(true)}
	var items []map[string]types.AttributeValue
	for {
		res, err := h.Store.DB.Scan(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, res.Items...)
		if res.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
	for _, it := range items {
		if it["tenant"] == nil || it["logsk"] == nil {
			t.Fatalf("a live event without index attributes: %v", it["stream"])
		}
		delete(it, "tenant")
		delete(it, "logsk")
		key := map[string]types.AttributeValue{"stream": it["stream"], "version": it["version"]}
		if _, err := h.Store.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(h.Store.Events), Key: key}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(h.Store.Events), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	if n := listed(); n != 0 {
		t.Fatalf("%d events listed without index attributes", n)
	}

	stats, err := h.Store.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Backfilled != len(items) {
		t.Fatalf("backfilled %d events, want %d", stats.Backfilled, len(items))
	}
	got, err := scanTable(ctx, h.Store, h.Store.Events)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events after the backfill differ from the live ones:\n%s", diffLines(want, got, 5))
	}
	if n := listed(); n != live {
		t.Fatalf("%d events listed after the backfill, %d live", n, live)
	}
	// A second rebuild finds nothing to fill.
	if stats, err := h.Store.Rebuild(ctx); err != nil || stats.Backfilled != 0 {
		t.Fatalf("second rebuild: %d backfilled, %v", stats.Backfilled, err)
	}
}

// diffLines shows up to n lines only in a and only in b.
func diffLines(a, b []string, n int) string {
	out := ""
	for _, l := range a {
		if !slices.Contains(b, l) && n > 0 {
			out += "- " + l + "\n"
			n--
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) && n > 0 {
			out += "+ " + l + "\n"
			n--
		}
	}
	return out
}

// TestEventsStopsAtTheReadBudget: a filter that matches once in the
// whole log does not read the log in one call. Each call stops at its
// budget of Query requests, short (here empty) but with a Next, and the
// walk still ends with the one match, listed once.
func TestEventsStopsAtTheReadBudget(t *testing.T) {
	// A filtered Query reads max(limit, page) items: 2 calls of 2.
	dynamo.SetEventReads(t, 2, 2)
	h := embedded.New(t)
	storetest.CheckReadBudget(t, h.Store, h.Store.EventLog(), 4)
}
