package sqlite_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/dynamo/storetest"
)

// TestImportEqualsLive: a log imported into an empty store projects to the
// same rows as the live store it came from (idempotency records aside:
// they are not in the log), and a store that already holds events is left
// alone, which is what makes the local server's import happen once.
func TestImportEqualsLive(t *testing.T) {
	ctx := context.Background()
	live := open(t, "")
	w := storetest.NewWorkload(t, live, 7)
	w.Run(200)
	streams, err := live.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	envs := slicesOf(streams)
	dst := open(t, "")
	stats, imported, err := dst.Import(ctx, envs)
	if err != nil || !imported || stats.Events != len(envs) || len(envs) == 0 {
		t.Fatalf("import of %d events: %+v %v %v", len(envs), stats, imported, err)
	}
	want, got := dump(t, live), dump(t, dst)
	for _, table := range []string{"event", "state", "guard"} {
		if d := diffLines(only(want, table), only(got, table), 10); d != "" {
			t.Fatalf("%s rows differ after the import:\n%s", table, d)
		}
	}
	// Again: the store holds events now, so nothing happens.
	if _, imported, err := dst.Import(ctx, envs[:1]); err != nil || imported {
		t.Fatalf("second import: %v %v", imported, err)
	}
	if d := diffLines(got, dump(t, dst), 5); d != "" {
		t.Fatalf("a second import changed the store:\n%s", d)
	}
}

// TestImportRefusesDuplicates: a log holding one (stream, version) twice
// contradicts itself; the import writes nothing, so the next start can
// try again once the file is repaired.
func TestImportRefusesDuplicates(t *testing.T) {
	ctx := context.Background()
	live := open(t, "")
	storetest.NewWorkload(t, live, 3).Run(20)
	streams, err := live.ReadEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	envs := slicesOf(streams)
	envs = append(envs, envs[0])
	dst := open(t, "")
	if _, imported, err := dst.Import(ctx, envs); err == nil || imported || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("import with a duplicate: %v %v", imported, err)
	}
	if d := dump(t, dst); len(d) != 0 {
		t.Fatalf("a refused import wrote %d rows", len(d))
	}
}

// slicesOf flattens streams in stream order, as a journal file would hold
// them (any order of streams will do: the projection sorts).
func slicesOf[E any](streams map[string][]E) []E {
	keys := make([]string, 0, len(streams))
	for k := range streams {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []E
	for _, k := range keys {
		out = append(out, streams[k]...)
	}
	return out
}
