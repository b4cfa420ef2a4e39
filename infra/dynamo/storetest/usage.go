package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// RunUsage runs the domain.UsageStore contract against stores made by
// newStore, which must return a fresh, empty store for each subtest.
//
// Every time is fixed (usageT0 and offsets from it), so the results never
// depend on the wall clock; the stores have none of their own either.
func RunUsage(t *testing.T, newStore func(t *testing.T) domain.UsageStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, domain.UsageStore)
	}{
		{"Empty", testUsageEmpty},
		{"IncrementsAddUp", testUsageIncrements},
		{"ConcurrentIncrements", testUsageConcurrent},
		{"HoursSeparate", testUsageHours},
		{"Bounds", testUsageBounds},
		{"LastUsedOnlyRises", testLastUsedRises},
		{"LastUsedZeroAndUnknown", testLastUsedZero},
		{"KeysIsolated", testUsageKeysIsolated},
		{"ManyKeys", testLastUsedMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// usageT0 is an hour's start; the tests work in the days after it.
var usageT0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func hourAt(n int) time.Time { return usageT0.Add(time.Duration(n) * time.Hour) }

func addUsage(t *testing.T, st domain.UsageStore, deltas ...domain.UsageDelta) {
	t.Helper()
	if err := st.AddUsage(context.Background(), deltas); err != nil {
		t.Fatalf("AddUsage: %v", err)
	}
}

func usageOf(t *testing.T, st domain.UsageStore, key string, from, to time.Time) []domain.UsageHour {
	t.Helper()
	got, err := st.Usage(context.Background(), key, from, to)
	if err != nil {
		t.Fatalf("Usage: %v", err)
	}
	return got
}

func lastUsedOf(t *testing.T, st domain.UsageStore, keys ...string) map[string]time.Time {
	t.Helper()
	got, err := st.LastUsed(context.Background(), keys)
	if err != nil {
		t.Fatalf("LastUsed: %v", err)
	}
	return got
}

// sameHours compares hour lists by instant, not by time.Time's location.
func sameHours(t *testing.T, what string, got, want []domain.UsageHour) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Hour.Equal(want[i].Hour) && got[i].Succeeded == want[i].Succeeded && got[i].Failed == want[i].Failed
	}
	if !ok {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func testUsageEmpty(t *testing.T, st domain.UsageStore) {
	if got := usageOf(t, st, "k1", hourAt(-48), hourAt(48)); len(got) != 0 {
		t.Errorf("Usage of an unknown key = %v, want none", got)
	}
	if got := lastUsedOf(t, st, "k1"); len(got) != 0 {
		t.Errorf("LastUsed of an unknown key = %v, want none", got)
	}
	if got := lastUsedOf(t, st); len(got) != 0 {
		t.Errorf("LastUsed of no keys = %v, want none", got)
	}
	addUsage(t, st) // no deltas: nothing to do, no error
}

func testUsageIncrements(t *testing.T, st domain.UsageStore) {
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 3, Failed: 1})
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 4})
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Failed: 2},
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1})
	sameHours(t, "after four increments", usageOf(t, st, "k1", hourAt(0), hourAt(1)),
		[]domain.UsageHour{{Hour: hourAt(0), Succeeded: 8, Failed: 3}})
}

// testUsageConcurrent is the reason the port speaks in increments: many
// processes flush one key at once, and every count must land.
func testUsageConcurrent(t *testing.T, st domain.UsageStore) {
	const workers, adds = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*adds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range adds {
				last := hourAt(0).Add(time.Duration(w*adds+i) * time.Second)
				d := domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 2, Failed: 1, LastUsed: last}
				if err := st.AddUsage(context.Background(), []domain.UsageDelta{d}); err != nil {
					errs <- fmt.Errorf("worker %d add %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		// A store may answer contention with ErrUnavailable; that is its
		// right, but then this test cannot count, so it fails loudly.
		t.Fatal(err)
	}
	sameHours(t, "after concurrent increments", usageOf(t, st, "k1", hourAt(0), hourAt(1)),
		[]domain.UsageHour{{Hour: hourAt(0), Succeeded: 2 * workers * adds, Failed: workers * adds}})
	want := hourAt(0).Add(time.Duration(workers*adds-1) * time.Second)
	if got := lastUsedOf(t, st, "k1")["k1"]; !got.Equal(want) {
		t.Errorf("LastUsed after concurrent raises = %v, want the latest %v", got, want)
	}
}

func testUsageHours(t *testing.T, st domain.UsageStore) {
	addUsage(t, st,
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1},
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(1), Failed: 2},
	)
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(24), Succeeded: 5, Failed: 6})
	sameHours(t, "three hours", usageOf(t, st, "k1", hourAt(0), hourAt(25)), []domain.UsageHour{
		{Hour: hourAt(0), Succeeded: 1},
		{Hour: hourAt(1), Failed: 2},
		{Hour: hourAt(24), Succeeded: 5, Failed: 6},
	})
}

func testUsageBounds(t *testing.T, st domain.UsageStore) {
	for _, h := range []int{0, 1, 2, 5} {
		addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(h), Succeeded: int64(h + 1)})
	}
	// A delta that counts nothing leaves no hour behind.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(3)})
	// Written newest first: Usage still answers oldest first.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(-1), Failed: 7})
	h := func(n int, s, f int64) domain.UsageHour {
		return domain.UsageHour{Hour: hourAt(n), Succeeded: s, Failed: f}
	}
	cases := []struct {
		name     string
		from, to time.Time
		want     []domain.UsageHour
	}{
		{"all", hourAt(-24), hourAt(24), []domain.UsageHour{h(-1, 0, 7), h(0, 1, 0), h(1, 2, 0), h(2, 3, 0), h(5, 6, 0)}},
		{"from inclusive, to exclusive", hourAt(1), hourAt(5), []domain.UsageHour{h(1, 2, 0), h(2, 3, 0)}},
		{"to inclusive of its hour's predecessor", hourAt(0), hourAt(6), []domain.UsageHour{h(0, 1, 0), h(1, 2, 0), h(2, 3, 0), h(5, 6, 0)}},
		{"from inside an hour skips it", hourAt(1).Add(time.Minute), hourAt(24), []domain.UsageHour{h(2, 3, 0), h(5, 6, 0)}},
		{"to inside an hour keeps it", hourAt(5), hourAt(5).Add(time.Nanosecond), []domain.UsageHour{h(5, 6, 0)}},
		{"empty range", hourAt(3), hourAt(5), nil},
		{"from equals to", hourAt(1), hourAt(1), nil},
		{"from after to", hourAt(5), hourAt(1), nil},
		{"other time zone", hourAt(0).In(time.FixedZone("X", 5*3600+1800)), hourAt(2).In(time.FixedZone("Y", -7*3600)), []domain.UsageHour{h(0, 1, 0), h(1, 2, 0)}},
	}
	for _, c := range cases {
		sameHours(t, c.name, usageOf(t, st, "k1", c.from, c.to), c.want)
	}
}

func testLastUsedRises(t *testing.T, st domain.UsageStore) {
	at := hourAt(0).Add(17*time.Minute + 250*time.Millisecond)
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: at})
	if got := lastUsedOf(t, st, "k1")["k1"]; !got.Equal(at) {
		t.Fatalf("LastUsed = %v, want %v", got, at)
	}
	// An older flush arriving late (another process) never lowers it.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: at.Add(-time.Minute)})
	if got := lastUsedOf(t, st, "k1")["k1"]; !got.Equal(at) {
		t.Errorf("LastUsed after an older one = %v, want still %v", got, at)
	}
	// The same time again is no change and no error.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: at})
	later := at.Add(time.Millisecond)
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: later})
	if got := lastUsedOf(t, st, "k1")["k1"]; !got.Equal(later) {
		t.Errorf("LastUsed after a later one = %v, want %v", got, later)
	}
	// Within one batch, the latest wins whatever the order.
	latest := hourAt(2).Add(time.Second)
	addUsage(t, st,
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(2), Succeeded: 1, LastUsed: latest},
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(1), Succeeded: 1, LastUsed: hourAt(1)},
	)
	if got := lastUsedOf(t, st, "k1")["k1"]; !got.Equal(latest) {
		t.Errorf("LastUsed after a batch = %v, want %v", got, latest)
	}
	// The counts went on regardless of LastUsed.
	sameHours(t, "counts", usageOf(t, st, "k1", hourAt(0), hourAt(3)), []domain.UsageHour{
		{Hour: hourAt(0), Succeeded: 4}, {Hour: hourAt(1), Succeeded: 1}, {Hour: hourAt(2), Succeeded: 1},
	})
}

func testLastUsedZero(t *testing.T, st domain.UsageStore) {
	// Only failures: counted, but the key was never used successfully.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Failed: 3})
	if got := lastUsedOf(t, st, "k1", "unknown"); len(got) != 0 {
		t.Errorf("LastUsed with zero LastUsed only = %v, want none", got)
	}
	at := hourAt(0).Add(time.Minute)
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: at})
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(1), Failed: 1})
	got := lastUsedOf(t, st, "unknown", "k1", "k1")
	if len(got) != 1 || !got["k1"].Equal(at) {
		t.Errorf("LastUsed = %v, want only k1 at %v (zero LastUsed never resets it)", got, at)
	}
}

func testUsageKeysIsolated(t *testing.T, st domain.UsageStore) {
	a1, b1 := hourAt(0).Add(time.Minute), hourAt(0).Add(2*time.Minute)
	addUsage(t, st,
		domain.UsageDelta{Tenant: "t1", KeyID: "k1", Hour: hourAt(0), Succeeded: 1, LastUsed: a1},
		domain.UsageDelta{Tenant: "t2", KeyID: "k2", Hour: hourAt(0), Succeeded: 10, Failed: 20, LastUsed: b1},
	)
	// "k1" is a prefix of "k10": a store must not match by prefix.
	addUsage(t, st, domain.UsageDelta{Tenant: "t1", KeyID: "k10", Hour: hourAt(0), Failed: 5})
	sameHours(t, "k1", usageOf(t, st, "k1", hourAt(0), hourAt(1)), []domain.UsageHour{{Hour: hourAt(0), Succeeded: 1}})
	sameHours(t, "k2", usageOf(t, st, "k2", hourAt(0), hourAt(1)), []domain.UsageHour{{Hour: hourAt(0), Succeeded: 10, Failed: 20}})
	sameHours(t, "k10", usageOf(t, st, "k10", hourAt(0), hourAt(1)), []domain.UsageHour{{Hour: hourAt(0), Failed: 5}})
	got := lastUsedOf(t, st, "k1", "k2", "k10")
	if len(got) != 2 || !got["k1"].Equal(a1) || !got["k2"].Equal(b1) {
		t.Errorf("LastUsed = %v, want k1 %v and k2 %v", got, a1, b1)
	}
}

// testLastUsedMany asks for more keys than one DynamoDB batch read holds.
func testLastUsedMany(t *testing.T, st domain.UsageStore) {
	const n = 230
	var deltas []domain.UsageDelta
	var ids []string
	for i := range n {
		id := fmt.Sprintf("key%03d", i)
		ids = append(ids, id)
		if i%3 == 0 {
			continue // never used
		}
		deltas = append(deltas, domain.UsageDelta{Tenant: "t1", KeyID: id, Hour: hourAt(0), Succeeded: 1, LastUsed: hourAt(0).Add(time.Duration(i) * time.Second)})
	}
	for len(deltas) > 0 {
		batch := deltas[:min(25, len(deltas))]
		deltas = deltas[len(batch):]
		addUsage(t, st, batch...)
	}
	got := lastUsedOf(t, st, ids...)
	var errs []error
	for i, id := range ids {
		at, ok := got[id]
		switch {
		case i%3 == 0 && ok:
			errs = append(errs, fmt.Errorf("%s never used but has %v", id, at))
		case i%3 != 0 && !at.Equal(hourAt(0).Add(time.Duration(i)*time.Second)):
			errs = append(errs, fmt.Errorf("%s = %v", id, at))
		}
	}
	if len(got) != n-(n+2)/3 {
		errs = append(errs, fmt.Errorf("%d keys answered, want %d", len(got), n-(n+2)/3))
	}
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
}
