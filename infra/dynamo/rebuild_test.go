package dynamo_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/embedded"
)

var (
	workloadSeed = flag.Uint64("rebuild.seed", 0, "seed of the rebuild test's random workload (0: time-based)")
	workloadSize = flag.Int("rebuild.commands", 1200, "commands in the rebuild test's random workload")
)

// TestProjectEmptyLog: nothing in, nothing out.
func TestProjectEmptyLog(t *testing.T) {
	for _, streams := range []map[string][]events.Envelope{nil, {}} {
		items, err := dynamo.Project(streams)
		if err != nil || len(items) != 0 {
			t.Fatalf("Project(%v) = %d items, %v", streams, len(items), err)
		}
	}
	h := embedded.New(t)
	stats, err := h.Store.Rebuild(context.Background())
	if err != nil || stats.Streams != 0 || stats.Events != 0 || stats.Items != 0 || stats.Deleted != 0 {
		t.Fatalf("rebuild of an empty store: %+v %v", stats, err)
	}
	if v := views(t, h.Store); len(v) != 0 {
		t.Fatalf("views after rebuilding nothing: %v", v)
	}
}

// TestRebuildRefusesBrokenLog: a stream with a version gap stops the
// rebuild before it touches the views table.
func TestRebuildRefusesBrokenLog(t *testing.T) {
	h := embedded.New(t)
	storetest.NewWorkload(t, h.Store, 1).Run(40)
	before := views(t, h.Store)
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	env, err := events.Encode(domain.KindAPIKey+"#ORPHAN", 2, at, events.Meta{}, events.APIKeyDeleted{})
	if err != nil {
		t.Fatal(err)
	}
	item, err := attributevalue.MarshalMap(map[string]any{"stream": env.Stream, "version": env.Version, "type": env.Type, "at": at.Format(time.RFC3339Nano), "data": string(env.Data), "meta": env.Meta})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.DB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(h.Store.Events), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Store.Rebuild(context.Background()); err == nil || !strings.Contains(err.Error(), "version 2 after 0") {
		t.Fatalf("rebuild of a log with a gap: %v", err)
	}
	if after := views(t, h.Store); diffViews(before, after, 5) != "" {
		t.Fatalf("a refused rebuild changed the views:\n%s", diffViews(before, after, 5))
	}
}

// TestRebuildEqualsLive runs a random (seeded, reproducible) workload of
// domain commands — creates, updates and deletes of every resource,
// cascades, duplicates and other refused commands, idempotent retries —
// then replays the event table into fresh read models and checks they
// equal the live ones item for item: every state item, guard and
// collection index entry the commands projected in their transactions is
// exactly what the log folds to.
func TestRebuildEqualsLive(t *testing.T) {
	seed := *workloadSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -rebuild.seed=%d)", seed, seed)
	start := time.Now()
	h := embedded.New(t)
	w := storetest.NewWorkload(t, h.Store, seed)
	w.Run(*workloadSize)
	t.Logf("%d commands in %v: %v", *workloadSize, time.Since(start).Round(time.Millisecond), w.Outcomes)
	for _, op := range []string{"DeleteAccount ok", "DeleteGroup ok", "CreateAccount conflict", "CreateMembership ok", "UpdateCustomData ok", "replay ok",
		"customData on tenant", "customData on application", "customData on account", "customData on group", "Login ok"} {
		if w.Outcomes[op] == 0 {
			t.Errorf("the workload never had %q; it does not exercise what it should", op)
		}
	}

	ctx := context.Background()
	live := views(t, h.Store)
	idemBefore := countIdem(t, h.Store)
	streams, err := h.Store.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nEvents, cascades := 0, 0
	for _, envs := range streams {
		nEvents += len(envs)
		for _, env := range envs {
			if strings.Contains(string(env.Data), events.ReasonCascade) {
				cascades++
			}
		}
	}
	if cascades == 0 {
		t.Error("the workload deleted nothing by cascade")
	}

	stats, err := h.Store.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild: %+v", stats)
	rebuilt := views(t, h.Store)
	if d := diffViews(live, rebuilt, 10); d != "" {
		t.Fatalf("rebuilt views differ from live ones (%d live, %d rebuilt items):\n%s", len(live), len(rebuilt), d)
	}
	if stats.Streams != len(streams) || stats.Events != nEvents || stats.Items != len(live) || stats.Deleted != len(live) {
		t.Fatalf("stats %+v: want %d streams, %d events, %d items written and deleted", stats, len(streams), nEvents, len(live))
	}
	if n := countIdem(t, h.Store); n != idemBefore || n == 0 {
		t.Fatalf("idempotency records: %d before, %d after the rebuild", idemBefore, n)
	}
	// The service works on the rebuilt views: a second rebuild is a no-op
	// and the next command continues every stream where it was.
	w.Run(50)
	live = views(t, h.Store)
	if _, err := h.Store.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffViews(live, views(t, h.Store), 10); d != "" {
		t.Fatalf("second rebuild differs:\n%s", d)
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

func countIdem(t *testing.T, st *dynamo.Store) int {
	t.Helper()
	items, err := st.ScanViews(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range items {
		var row struct {
			PK string `dynamodbav:"pk"`
		}
		_ = attributevalue.UnmarshalMap(it, &row)
		if strings.HasPrefix(row.PK, "idem#") {
			n++
		}
	}
	return n
}
