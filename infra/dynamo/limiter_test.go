package dynamo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/embedded"
)

type testClock struct{ t atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Unix(0, c.t.Load()).UTC() }
func (c *testClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newLimiter(t *testing.T) (*dynamo.Limiter, *testClock) {
	t.Helper()
	h := embedded.New(t)
	clock := &testClock{}
	clock.t.Store(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC).UnixNano())
	l := dynamo.NewLimiter(h.Store, domain.ClockFunc(clock.now))
	return l, clock
}

func locked(t *testing.T, l *dynamo.Limiter, id string) time.Duration {
	t.Helper()
	d, err := l.Locked(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fail(t *testing.T, l *dynamo.Limiter, id string, n int) {
	t.Helper()
	for range n {
		if err := l.Failed(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLimiterLocksAfterFiveFailures(t *testing.T) {
	l, clock := newLimiter(t)
	if d := locked(t, l, "ak_1"); d != 0 {
		t.Fatalf("unknown id locked for %v", d)
	}
	fail(t, l, "ak_1", 4)
	if d := locked(t, l, "ak_1"); d != 0 {
		t.Fatalf("locked after 4 failures: %v", d)
	}
	clock.advance(time.Minute)
	fail(t, l, "ak_1", 1)
	if d := locked(t, l, "ak_1"); d != 15*time.Minute {
		t.Fatalf("after 5 failures locked for %v, want 15m", d)
	}
	if d := locked(t, l, "ak_2"); d != 0 {
		t.Fatalf("another id is locked too: %v", d)
	}
	// Failures during the lock do not extend it.
	clock.advance(10 * time.Minute)
	fail(t, l, "ak_1", 3)
	if d := locked(t, l, "ak_1"); d != 5*time.Minute {
		t.Fatalf("lock moved: %v left, want 5m", d)
	}
	clock.advance(5 * time.Minute)
	if d := locked(t, l, "ak_1"); d != 0 {
		t.Fatalf("still locked after 15 minutes: %v", d)
	}
	// A fresh window after the lock: four more failures do not lock.
	clock.advance(time.Minute)
	fail(t, l, "ak_1", 4)
	if d := locked(t, l, "ak_1"); d != 0 {
		t.Fatalf("locked again after 4 failures in a new window: %v", d)
	}
	fail(t, l, "ak_1", 1)
	if d := locked(t, l, "ak_1"); d != 15*time.Minute {
		t.Fatalf("not locked after 5 failures in the new window: %v", d)
	}
}

func TestLimiterWindowSlides(t *testing.T) {
	l, clock := newLimiter(t)
	fail(t, l, "ak_w", 4)
	clock.advance(15*time.Minute + time.Second) // the window closes
	fail(t, l, "ak_w", 4)
	if d := locked(t, l, "ak_w"); d != 0 {
		t.Fatalf("failures of an old window counted: locked %v", d)
	}
	fail(t, l, "ak_w", 1)
	if d := locked(t, l, "ak_w"); d == 0 {
		t.Fatal("5 failures in the new window did not lock")
	}
}

func TestLimiterConcurrentFailures(t *testing.T) {
	l, _ := newLimiter(t)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() { errs <- l.Failed(context.Background(), "ak_c") })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := locked(t, l, "ak_c"); d != 15*time.Minute {
		t.Fatalf("5 concurrent failures: locked %v, want 15m", d)
	}
}

func TestLimiterCustomLimits(t *testing.T) {
	l, clock := newLimiter(t)
	l.MaxFailures, l.Window, l.Lockout = 2, time.Minute, 30*time.Second
	fail(t, l, "ak_x", 2)
	if d := locked(t, l, "ak_x"); d != 30*time.Second {
		t.Fatalf("locked %v, want 30s", d)
	}
	clock.advance(30 * time.Second)
	if d := locked(t, l, "ak_x"); d != 0 {
		t.Fatalf("still locked: %v", d)
	}
}
