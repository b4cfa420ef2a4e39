package sqlite_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
	"github.com/keystorm/keystorm/infra/sqlite"
)

var (
	workloadSeed = flag.Uint64("rebuild.seed", 0, "seed of the rebuild test's random workload (0: time-based)")
	workloadSize = flag.Int("rebuild.commands", 1200, "commands in the rebuild test's random workload")
)

// dump returns the store's rows, every table.
func dump(t *testing.T, st *sqlite.Store) []string {
	t.Helper()
	lines, err := st.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// only keeps the dump lines of one table ("event", "state", "guard",
// "idem").
func only(lines []string, table string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, `"`+table+`" `) {
			out = append(out, l)
		}
	}
	return out
}

// diffLines shows up to n lines only in a and only in b.
func diffLines(a, b []string, n int) string {
	var sb strings.Builder
	k := 0
	for _, l := range a {
		if _, ok := slices.BinarySearch(b, l); !ok && k < n {
			fmt.Fprintf(&sb, "- %s\n", l)
			k++
		}
	}
	for _, l := range b {
		if _, ok := slices.BinarySearch(a, l); !ok && k < 2*n {
			fmt.Fprintf(&sb, "+ %s\n", l)
			k++
		}
	}
	return sb.String()
}

func exec(t *testing.T, st *sqlite.Store, q string, args ...any) {
	t.Helper()
	if _, err := st.DB().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestRebuildEqualsLive runs a random (seeded, reproducible) workload of
// domain commands through domain.Service, then replays the event table
// into the read models and checks they equal the live ones row for row:
// every state row (child counts and collection columns included) and
// guard the commits projected in their transactions is exactly what the
// log folds to. It then wrecks the read models and checks that a rebuild
// restores them, so an empty Rebuild cannot pass.
func TestRebuildEqualsLive(t *testing.T) {
	seed := *workloadSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -rebuild.seed=%d)", seed, seed)
	start := time.Now()
	st := open(t, filepath.Join(t.TempDir(), "keystorm.db"))
	w := storetest.NewWorkload(t, st, seed)
	w.Run(*workloadSize)
	t.Logf("%d commands in %v: %v", *workloadSize, time.Since(start).Round(time.Millisecond), w.Outcomes)
	for _, op := range []string{"DeleteAccount ok", "DeleteGroup ok", "CreateAccount conflict", "CreateMembership ok", "UpdateCustomData ok", "replay ok",
		"customData on tenant", "customData on application", "customData on account", "customData on group", "Login ok"} {
		if w.Outcomes[op] == 0 {
			t.Errorf("the workload never had %q; it does not exercise what it should", op)
		}
	}

	ctx := context.Background()
	live := dump(t, st)
	views := len(only(live, "state")) + len(only(live, "guard")) + len(only(live, "size"))
	if len(only(live, "size")) == 0 {
		t.Error("the workload left no collection with items")
	}
	if len(only(live, "idem")) == 0 {
		t.Error("the workload wrote no idempotency record")
	}
	streams, err := st.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nEvents, cascades := 0, 0
	for _, envs := range streams {
		nEvents += len(envs)
		for i, env := range envs {
			if env.Version != int64(i+1) {
				t.Fatalf("%s: event %d has version %d", env.Stream, i, env.Version)
			}
			if strings.Contains(string(env.Data), events.ReasonCascade) {
				cascades++
			}
		}
	}
	if cascades == 0 {
		t.Error("the workload deleted nothing by cascade")
	}
	if n := len(only(live, "event")); n != nEvents {
		t.Fatalf("ReadEvents returned %d events, the table holds %d", nEvents, n)
	}

	stats, err := st.Rebuild(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuild: %+v", stats)
	// Events and idempotency records are untouched, and the read models
	// come back identical.
	if d := diffLines(live, dump(t, st), 10); d != "" {
		t.Fatalf("rebuilt store differs from the live one:\n%s", d)
	}
	if stats.Streams != len(streams) || stats.Events != nEvents || stats.Items != views || stats.Deleted != views {
		t.Fatalf("stats %+v: want %d streams, %d events, %d rows written and deleted", stats, len(streams), nEvents, views)
	}

	// Wreck the read models: lose rows, miscount children, drop every
	// guard, move items between collections.
	exec(t, st, "DELETE FROM states WHERE rowid % 3 = 0")
	exec(t, st, "UPDATE states SET children = children + 7 WHERE children IS NOT NULL")
	exec(t, st, "UPDATE states SET coll1 = 'application/x/accounts', version = version + 1 WHERE rowid % 5 = 0")
	exec(t, st, "DELETE FROM guards")
	exec(t, st, "UPDATE sizes SET n = n + 3 WHERE length(collection) % 2 = 0")
	exec(t, st, "INSERT INTO sizes (collection, n) VALUES ('application/x/groups', 4)")
	if d := diffLines(live, dump(t, st), 1); d == "" {
		t.Fatal("the wrecking changed nothing")
	}
	if _, err := st.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffLines(live, dump(t, st), 10); d != "" {
		t.Fatalf("rebuild did not repair the read models:\n%s", d)
	}

	// The service works on the rebuilt models: the next commands continue
	// every stream where it was, and a rebuild after them is a no-op.
	w.Run(100)
	live = dump(t, st)
	if _, err := st.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if d := diffLines(live, dump(t, st), 10); d != "" {
		t.Fatalf("second rebuild differs:\n%s", d)
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// TestRebuildEmpty: nothing in, nothing out.
func TestRebuildEmpty(t *testing.T) {
	st := open(t, "")
	stats, err := st.Rebuild(context.Background())
	if err != nil || stats.Streams != 0 || stats.Events != 0 || stats.Items != 0 || stats.Deleted != 0 {
		t.Fatalf("rebuild of an empty store: %+v %v", stats, err)
	}
	if d := dump(t, st); len(d) != 0 {
		t.Fatalf("rows after rebuilding nothing: %v", d)
	}
}

// TestRebuildRefusesBrokenLog: a stream with a version gap stops the
// rebuild, and, being one transaction, it changes nothing.
func TestRebuildRefusesBrokenLog(t *testing.T) {
	st := open(t, "")
	w := storetest.NewWorkload(t, st, 1)
	w.Run(40)
	before := dump(t, st)
	// Lose the keys' rows, so that a rebuild would change something.
	exec(t, st, "DELETE FROM states WHERE kind = 'apikey'")
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	env, err := events.Encode(domain.KindAPIKey+"#ORPHAN", 2, at, events.Meta{}, events.APIKeyDeleted{})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, st, "INSERT INTO events (stream, version, type, at, data, meta) VALUES (?, ?, ?, ?, ?, '{}')", env.Stream, env.Version, env.Type, at.Format(time.RFC3339Nano), string(env.Data))
	wrecked := dump(t, st)
	if len(only(before, "state")) == len(only(wrecked, "state")) {
		t.Fatal("the test removed no state row")
	}
	if _, err := st.Rebuild(context.Background()); err == nil || !strings.Contains(err.Error(), "version 2 after 0") {
		t.Fatalf("rebuild of a log with a gap: %v", err)
	}
	if d := diffLines(wrecked, dump(t, st), 5); d != "" {
		t.Fatalf("a refused rebuild changed the store:\n%s", d)
	}
}
