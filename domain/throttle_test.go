package domain_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo/storetest"
)

func TestThrottleBackoffPerPairAndSource(t *testing.T) {
	clock := newClockAt(storetest.Epoch)
	th := domain.NewThrottle(clock)
	th.PerKey = domain.ThrottlePolicy{Free: 2, Window: time.Minute, Base: time.Second, Max: 8 * time.Second}
	th.PerSource = domain.ThrottlePolicy{Free: 5, Window: time.Minute, Base: time.Second, Max: time.Minute}
	for range 2 {
		th.Fail("K", "a")
	}
	if w := th.Wait("K", "a"); w != 0 {
		t.Fatalf("within the free failures: wait %v", w)
	}
	// Then 1 s, 2 s, 4 s, 8 s, 8 s: doubling, capped.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		th.Fail("K", "a")
		if w := th.Wait("K", "a"); w <= want-10*time.Millisecond || w > want {
			t.Fatalf("wait %v, want about %v", w, want)
		}
	}
	// Never per key id alone: another source, or an unknown one, is free.
	if w := th.Wait("K", "b"); w != 0 {
		t.Fatalf("another source waits %v", w)
	}
	if w := th.Wait("K", ""); w != 0 {
		t.Fatalf("an unknown source waits %v", w)
	}
	// Source "a" failed 7 times in all: past its own 5 free failures, so
	// another key id from "a" waits too.
	if w := th.Wait("OTHER", "a"); w == 0 {
		t.Fatal("a source past its free failures is not throttled for other ids")
	}
	// A success clears the pair, not the source.
	th.Succeeded("K", "a")
	if w, ws := th.Wait("K", "a"), th.Wait("OTHER", "a"); w == 0 || (w-ws).Abs() > 10*time.Millisecond {
		t.Fatalf("after success: pair waits %v, source %v", w, ws)
	}
	// A quiet window forgets everything.
	clock.Advance(2 * time.Minute)
	if w := th.Wait("K", "a"); w != 0 {
		t.Fatalf("after the window: wait %v", w)
	}
}

// TestThrottleMemoryIsBounded: a flood of made-up sources and ids never
// holds more than MaxEntries entries.
func TestThrottleMemoryIsBounded(t *testing.T) {
	th := domain.NewThrottle(newClockAt(storetest.Epoch))
	th.MaxEntries = 1000
	for i := range 50_000 {
		th.Fail(fmt.Sprintf("KEY%d", i), fmt.Sprintf("10.0.%d.%d", i/256%256, i%256))
		if n := th.Len(); n > th.MaxEntries {
			t.Fatalf("%d entries after %d failures, bound %d", n, i+1, th.MaxEntries)
		}
	}
}
