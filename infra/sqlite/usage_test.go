package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// TestUsagePrunedByNewestHour: hours older than domain.UsageRetention
// before the newest hour written are deleted by that write (SQLite has no
// TTL, and the store no clock), for every key; the hour exactly at the
// cutoff stays, and last-used times are never pruned.
func TestUsagePrunedByNewestHour(t *testing.T) {
	st := open(t, "")
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(d ...domain.UsageDelta) {
		t.Helper()
		if err := st.AddUsage(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	add(domain.UsageDelta{Tenant: "t", KeyID: "old", Hour: t0, Succeeded: 1, LastUsed: t0},
		domain.UsageDelta{Tenant: "t", KeyID: "edge", Hour: t0.Add(time.Hour), Succeeded: 1})
	newest := t0.Add(time.Hour + domain.UsageRetention)
	add(domain.UsageDelta{Tenant: "t", KeyID: "new", Hour: newest, Failed: 1})
	far := newest.Add(time.Hour)
	for key, want := range map[string]int{"old": 0, "edge": 1, "new": 1} {
		got, err := st.Usage(ctx, key, t0, far)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%s: %d hours left, want %d", key, len(got), want)
		}
	}
	last, err := st.LastUsed(ctx, []string{"old"})
	if err != nil {
		t.Fatal(err)
	}
	if !last["old"].Equal(t0) {
		t.Errorf("LastUsed(old) = %v after the prune, want %v", last["old"], t0)
	}
}
