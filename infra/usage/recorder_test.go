package usage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/sqlite"
	"github.com/keystorm/keystorm/infra/usage"
)

// clock is a fake domain.Clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeStore is a domain.UsageStore that records every AddUsage call and
// can fail them. The stores themselves are held to the port by
// storetest.RunUsage; this one only lets the tests count calls.
type fakeStore struct {
	mu    sync.Mutex
	calls [][]domain.UsageDelta
	fail  error
	// gate, when set, holds each AddUsage until it is closed.
	gate chan struct{}
}

func (s *fakeStore) AddUsage(ctx context.Context, d []domain.UsageDelta) error {
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.calls = append(s.calls, append([]domain.UsageDelta(nil), d...))
	return nil
}

func (s *fakeStore) Usage(context.Context, string, time.Time, time.Time) ([]domain.UsageHour, error) {
	return nil, errors.New("not used")
}

func (s *fakeStore) LastUsed(context.Context, []string) (map[string]time.Time, error) {
	return nil, errors.New("not used")
}

func (s *fakeStore) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

// totals sums what reached the store per key|hour, and the latest
// LastUsed per key.
func (s *fakeStore) totals() (map[string][2]int64, map[string]time.Time, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[string][2]int64{}
	last := map[string]time.Time{}
	for _, call := range s.calls {
		for _, d := range call {
			k := d.KeyID + "|" + d.Hour.Format(time.RFC3339)
			v := sums[k]
			sums[k] = [2]int64{v[0] + d.Succeeded, v[1] + d.Failed}
			if d.LastUsed.After(last[d.KeyID]) {
				last[d.KeyID] = d.LastUsed
			}
		}
	}
	return sums, last, len(s.calls)
}

// callsFor counts the AddUsage calls holding keyID.
func (s *fakeStore) callsFor(keyID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, call := range s.calls {
		for _, d := range call {
			if d.KeyID == keyID {
				n++
				break
			}
		}
	}
	return n
}

var t0 = time.Date(2026, 6, 1, 10, 15, 0, 0, time.UTC)

func setup() (*usage.Recorder, *fakeStore, *clock) {
	st := &fakeStore{}
	c := &clock{now: t0}
	return &usage.Recorder{Store: st, Clock: c, Every: time.Minute}, st, c
}

func wait(t *testing.T, r *usage.Recorder) {
	t.Helper()
	if err := r.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func flush(t *testing.T, r *usage.Recorder) {
	t.Helper()
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func hourKey(key string, h time.Time) string {
	return key + "|" + h.UTC().Truncate(time.Hour).Format(time.RFC3339)
}

// TestCountsReachStoreOnce: every verification is in exactly one
// AddUsage, whether a due Record or Flush sent it.
func TestCountsReachStoreOnce(t *testing.T) {
	r, st, c := setup()
	r.Record("t1", "k1", true) // first: due at once, flushed in the background
	wait(t, r)
	for range 4 {
		r.Record("t1", "k1", true)
	}
	r.Record("t1", "k1", false)
	r.Record("t2", "k2", false)
	c.advance(10 * time.Second)
	r.Record("t1", "k1", true) // not due: counted, not flushed
	wait(t, r)
	if _, _, n := st.totals(); n != 1 {
		t.Fatalf("%d AddUsage calls before Flush, want 1", n)
	}
	flush(t, r)
	flush(t, r) // nothing left: no call
	sums, last, n := st.totals()
	if n != 3 {
		t.Errorf("%d AddUsage calls, want 3 (k1 twice, k2 once)", n)
	}
	if got := sums[hourKey("k1", t0)]; got != [2]int64{6, 1} {
		t.Errorf("k1 = %v, want 6 succeeded, 1 failed", got)
	}
	if got := sums[hourKey("k2", t0)]; got != [2]int64{0, 1} {
		t.Errorf("k2 = %v, want 1 failed", got)
	}
	if !last["k1"].Equal(t0.Add(10*time.Second)) || !last["k2"].IsZero() {
		t.Errorf("last used = %v, want k1 at %v and no k2", last, t0.Add(10*time.Second))
	}
	if r.Pending() != 0 {
		t.Errorf("%d counters pending after Flush", r.Pending())
	}
}

// TestNotFlushedTwiceWithinEvery: however many Records, a key is written
// at most once per Every; the first Record at or after Every sends the
// counts gathered meanwhile.
func TestNotFlushedTwiceWithinEvery(t *testing.T) {
	r, st, c := setup()
	r.Record("t1", "k1", true)
	wait(t, r)
	for i := range 59 {
		c.advance(time.Second)
		r.Record("t1", "k1", i%2 == 0)
		wait(t, r)
	}
	if n := st.callsFor("k1"); n != 1 {
		t.Fatalf("k1 written %d times within Every, want 1", n)
	}
	c.advance(time.Second) // Every since the first flush
	r.Record("t1", "k1", true)
	wait(t, r)
	if n := st.callsFor("k1"); n != 2 {
		t.Fatalf("k1 written %d times after Every, want 2", n)
	}
	sums, _, _ := st.totals()
	// 59 Records alternate from ok (30 ok, 29 failed), plus two ok.
	if got := sums[hourKey("k1", t0)]; got != [2]int64{32, 29} {
		t.Errorf("k1 = %v, want 32 succeeded, 29 failed", got)
	}
	if r.Pending() != 0 {
		t.Errorf("%d counters pending", r.Pending())
	}
}

// TestIdleKeyFlushedByOthersAndTick: a key verified once and never again
// is written by the next due flush, whoever triggers it.
func TestIdleKeyFlushedByOthersAndTick(t *testing.T) {
	r, st, c := setup()
	r.Record("t1", "busy", true)
	wait(t, r)
	r.Record("t1", "idle", true)
	c.advance(time.Minute)
	r.Record("t1", "busy", true)
	wait(t, r)
	if n := st.callsFor("idle"); n != 1 {
		t.Errorf("idle key written %d times, want 1", n)
	}
	r.Record("t1", "idle", false)
	c.advance(time.Minute)
	r.Tick()
	wait(t, r)
	if n := st.callsFor("idle"); n != 2 {
		t.Errorf("idle key written %d times after Tick, want 2", n)
	}
}

// TestFailureThenRetryKeepsCounts: a failed AddUsage puts the counts
// back, merged with new ones, and the next flush sends them all once.
func TestFailureThenRetryKeepsCounts(t *testing.T) {
	r, st, c := setup()
	var mu sync.Mutex
	var reported []error
	r.OnError = func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	st.setFail(domain.ErrUnavailable)
	r.Record("t1", "k1", true)
	r.Record("t1", "k1", false) // counted while the failing flush is in flight or after
	wait(t, r)
	if s := r.Stats(); s.Failures != 1 {
		t.Fatalf("stats %+v, want one failure", s)
	}
	mu.Lock()
	if len(reported) != 1 || !errors.Is(reported[0], domain.ErrUnavailable) {
		t.Errorf("OnError got %v", reported)
	}
	mu.Unlock()
	if err := r.Flush(context.Background()); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Flush with a failing store = %v", err)
	}
	st.setFail(nil)
	c.advance(time.Minute)
	r.Record("t1", "k1", true)
	wait(t, r)
	flush(t, r)
	sums, last, _ := st.totals()
	if got := sums[hourKey("k1", t0)]; got != [2]int64{2, 1} {
		t.Errorf("k1 = %v, want 2 succeeded, 1 failed", got)
	}
	if !last["k1"].Equal(t0.Add(time.Minute)) {
		t.Errorf("last used %v", last["k1"])
	}
	if s := r.Stats(); s.Dropped != 0 {
		t.Errorf("dropped %d", s.Dropped)
	}
}

// TestHourRolloverSplits: counts either side of an hour go to their own
// hours, each with its own LastUsed.
func TestHourRolloverSplits(t *testing.T) {
	st := &fakeStore{}
	c := &clock{now: time.Date(2026, 6, 1, 10, 59, 59, 0, time.UTC)}
	r := &usage.Recorder{Store: st, Clock: c}
	st.gate = make(chan struct{}) // hold the first flush, so both hours stay pending
	r.Record("t1", "k1", true)
	c.advance(time.Second)
	r.Record("t1", "k1", true)
	r.Record("t1", "k1", false)
	close(st.gate)
	wait(t, r)
	flush(t, r)
	sums, _, _ := st.totals()
	h10 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	if got, got2 := sums[hourKey("k1", h10)], sums[hourKey("k1", h10.Add(time.Hour))]; got != [2]int64{1, 0} || got2 != [2]int64{1, 1} {
		t.Errorf("10h %v, 11h %v; want 1/0 and 1/1", got, got2)
	}
	// One AddUsage can hold both hours: the recorder's own rollover.
	st2 := &fakeStore{}
	c2 := &clock{now: h10.Add(59 * time.Minute)}
	r2 := &usage.Recorder{Store: st2, Clock: c2}
	r2.RecordAt("t1", "k1", true, c2.Now())
	r2.RecordAt("t1", "k1", true, c2.Now().Add(2*time.Minute))
	// Flush may race the first Record's background flush; either way the
	// totals are exact and each delta names its own hour.
	wait(t, r2)
	flush(t, r2)
	for _, call := range st2.calls {
		for _, d := range call {
			if !d.Hour.Equal(d.LastUsed.Truncate(time.Hour)) {
				t.Errorf("delta of hour %v has LastUsed %v", d.Hour, d.LastUsed)
			}
		}
	}
	sums2, _, _ := st2.totals()
	if sums2[hourKey("k1", h10)] != [2]int64{1, 0} || sums2[hourKey("k1", h10.Add(time.Hour))] != [2]int64{1, 0} {
		t.Errorf("sums %v", sums2)
	}
}

// TestRecordDoesNotWaitOnStore: while a flush is held inside the store,
// Records return and count; Flush then waits for it and sends the rest.
func TestRecordDoesNotWaitOnStore(t *testing.T) {
	r, st, c := setup()
	st.gate = make(chan struct{})
	r.Record("t1", "k1", true) // starts a flush that blocks in AddUsage
	for range 100 {
		c.advance(time.Minute) // due again, but one flush is in flight
		r.Record("t1", "k1", true)
	}
	close(st.gate)
	flush(t, r)
	sums, _, n := st.totals()
	var total int64
	for _, v := range sums {
		total += v[0]
	}
	// The held flush, then Flush's one call with every hour since.
	if total != 101 || n != 2 {
		t.Errorf("total %d in %d calls, want 101 in 2", total, n)
	}
}

// TestMemoryBound: past MaxPending counters, counts of new (key, hour)s
// are dropped and counted, while existing counters keep counting.
func TestMemoryBound(t *testing.T) {
	r, st, _ := setup()
	r.MaxPending = 2
	st.gate = make(chan struct{})
	r.Record("t1", "k0", true) // in flight: out of the pending set
	for i := range 5 {
		r.Record("t1", fmt.Sprintf("k%d", 1+i%3), true) // k1 k2 k3 k1 k2
	}
	if got := r.Stats().Dropped; got != 1 {
		t.Errorf("dropped %d, want 1 (k3)", got)
	}
	if r.Pending() != 2 {
		t.Errorf("pending %d, want 2", r.Pending())
	}
	close(st.gate)
	flush(t, r)
	sums, _, _ := st.totals()
	if sums[hourKey("k1", t0)][0] != 2 || sums[hourKey("k2", t0)][0] != 2 || len(sums) != 3 {
		t.Errorf("sums %v", sums)
	}
}

// TestFailedFlushBounded: counters of a failed flush that no longer fit
// are dropped too, so a store outage cannot grow memory.
func TestFailedFlushBounded(t *testing.T) {
	r, st, _ := setup()
	r.MaxPending = 2
	st.setFail(domain.ErrUnavailable)
	r.Record("t1", "k1", true)
	wait(t, r) // failed: k1 back in pending
	r.Record("t1", "k2", false)
	r.Record("t1", "k3", true)
	r.Record("t1", "k3", true)
	if got := r.Stats().Dropped; got != 2 {
		t.Errorf("dropped %d, want 2 (k3 twice)", got)
	}
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("Flush succeeded on a failing store")
	}
	if r.Pending() != 2 {
		t.Errorf("pending %d after a failed flush, want 2", r.Pending())
	}
}

// TestConcurrentRecords: many goroutines counting while the clock moves
// and flushes run; the totals are exact (run with -race).
func TestConcurrentRecords(t *testing.T) {
	r, st, c := setup()
	const workers, each = 20, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w == 0 && i%20 == 0 {
					c.advance(7 * time.Minute) // crosses hours and due times
				}
				r.Record("t1", fmt.Sprintf("k%d", w%4), (w+i)%3 != 0)
			}
		}()
	}
	wg.Wait()
	flush(t, r)
	sums, _, _ := st.totals()
	var ok, failed int64
	for _, v := range sums {
		ok += v[0]
		failed += v[1]
	}
	if ok+failed != workers*each {
		t.Errorf("%d + %d counted, want %d", ok, failed, workers*each)
	}
	if r.Stats().Dropped != 0 || r.Pending() != 0 {
		t.Errorf("stats %+v, pending %d", r.Stats(), r.Pending())
	}
}

// TestWithSQLite runs the Recorder on the real local store: what it
// counts is what Usage and LastUsed answer.
func TestWithSQLite(t *testing.T) {
	st, err := sqlite.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{now: t0}
	r := &usage.Recorder{Store: st, Clock: c}
	for i := range 10 {
		r.Record("t1", "k1", i != 3)
		c.advance(time.Second)
	}
	flush(t, r)
	got, err := st.Usage(context.Background(), "k1", t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Succeeded != 9 || got[0].Failed != 1 {
		t.Errorf("usage %v", got)
	}
	last, err := st.LastUsed(context.Background(), []string{"k1"})
	if err != nil {
		t.Fatal(err)
	}
	if !last["k1"].Equal(t0.Add(9 * time.Second)) {
		t.Errorf("last used %v", last)
	}
}
