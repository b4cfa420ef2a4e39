package usage

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// Defaults for the Recorder's zero fields.
const (
	// DefaultEvery bounds the store writes to one per key a minute: the
	// analytics have hourly resolution, and a minute of counts is what a
	// process dying unflushed can lose.
	DefaultEvery = time.Minute
	// DefaultMaxPending bounds the (key, hour) counters held at once. One
	// counter is roughly 150 bytes with its map entries and key strings
	// (key ids are short), so the default holds about 1.5 MB at worst.
	DefaultMaxPending = 10000
	// DefaultFlushTimeout bounds one background flush, so a stuck store
	// cannot keep the flush "in flight" (and every later one waiting)
	// forever.
	DefaultFlushTimeout = 10 * time.Second
)

// Recorder aggregates verifications per key and hour in memory and flushes
// them to Store. Set the fields before first use; the zero values of Every,
// MaxPending and FlushTimeout mean their defaults. Safe for concurrent use.
//
// Flushing: a Record call that finds the recorder due (its last flush
// started Every or more ago, on Clock) and no flush in flight takes the
// pending counters out under the mutex and hands them to one background
// goroutine, which writes each key with one AddUsage. So the request path
// never waits on the store, at most one flush is in flight per recorder,
// and each key is written at most once per Every. A key that stops being
// verified is flushed by the next due Record of any key, by Tick, or by
// Flush. A failed AddUsage puts the key's counters back, merged with what
// arrived meanwhile, for the next flush.
//
// Memory bound: at most MaxPending (key, hour) counters are pending; a
// count that would open one more is dropped (Stats.Dropped), as are
// counters of a failed flush that no longer fit. Counters being flushed
// are out of the pending set, so at most 2×MaxPending exist at once.
type Recorder struct {
	// Store receives the flushes (required).
	Store domain.UsageStore
	// Clock decides the hour of Record and when a flush is due
	// (required; domain.SystemClock in wiring, a fake in tests).
	Clock domain.Clock
	// Every is the least time between two flushes (DefaultEvery).
	Every time.Duration
	// MaxPending bounds the pending (key, hour) counters
	// (DefaultMaxPending).
	MaxPending int
	// FlushTimeout bounds a background flush (DefaultFlushTimeout).
	FlushTimeout time.Duration
	// OnError, when set, is told of each failed AddUsage of a background
	// flush (for a log line); it must not block.
	OnError func(error)

	mu        sync.Mutex
	pending   map[string]*keyCounts // by key id
	cells     int                   // (key, hour) counters in pending
	lastFlush time.Time             // when the last flush started; zero: never
	flushing  bool
	idle      chan struct{} // closed when the flush in flight ends
	stats     Stats
}

// Stats counts what a Recorder did, for metrics and tests.
type Stats struct {
	// Dropped is how many verifications were not counted because the
	// pending counters were full.
	Dropped int64
	// Flushes and Failures count AddUsage calls and the failed ones.
	Flushes, Failures int64
}

type keyCounts struct {
	tenant string
	hours  map[int64]*cell // by the hour's Unix seconds
}

type cell struct {
	ok, failed int64
	lastUsed   time.Time
}

// Record counts one verification of keyID (of tenant) at Clock's now:
// ok for a key that verified, !ok for one refused. It never writes to the
// store; it may start a background flush.
func (r *Recorder) Record(tenant, keyID string, ok bool) {
	r.RecordAt(tenant, keyID, ok, r.Clock.Now())
}

// RecordAt is Record at a given time, for callers that read the clock
// already (the authorizer's decision time); the flush schedule still
// follows Clock.
func (r *Recorder) RecordAt(tenant, keyID string, ok bool, at time.Time) {
	now := r.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(tenant, keyID, at.UTC().Truncate(time.Hour).Unix(), okCell(ok, at), 1)
	r.maybeFlushLocked(now)
}

func okCell(ok bool, at time.Time) cell {
	if ok {
		return cell{ok: 1, lastUsed: at}
	}
	return cell{failed: 1}
}

// Tick starts a background flush if one is due, without counting
// anything: for a long-lived process to call on a timer, so that counts
// of keys no longer verified do not wait for the next Record.
func (r *Recorder) Tick() {
	now := r.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maybeFlushLocked(now)
}

// add merges c into the pending counter of (keyID, hour), unless that
// would open a counter past MaxPending; n is how many verifications c
// holds, for Dropped.
func (r *Recorder) add(tenant, keyID string, hour int64, c cell, n int64) {
	k := r.pending[keyID]
	if k != nil {
		if p := k.hours[hour]; p != nil {
			p.merge(c)
			return
		}
	}
	if r.cells >= r.maxPending() {
		r.stats.Dropped += n
		return
	}
	if r.pending == nil {
		r.pending = map[string]*keyCounts{}
	}
	if k == nil {
		k = &keyCounts{tenant: tenant, hours: map[int64]*cell{}}
		r.pending[keyID] = k
	}
	k.hours[hour] = &c
	r.cells++
}

func (c *cell) merge(o cell) {
	c.ok += o.ok
	c.failed += o.failed
	if o.lastUsed.After(c.lastUsed) {
		c.lastUsed = o.lastUsed
	}
}

func (r *Recorder) maxPending() int {
	if r.MaxPending > 0 {
		return r.MaxPending
	}
	return DefaultMaxPending
}

func (r *Recorder) every() time.Duration {
	if r.Every > 0 {
		return r.Every
	}
	return DefaultEvery
}

// maybeFlushLocked starts a background flush when one is due and none is
// in flight. The counters are taken out here, under the mutex, so the
// flush carries exactly what was counted up to now.
func (r *Recorder) maybeFlushLocked(now time.Time) {
	if r.flushing || len(r.pending) == 0 {
		return
	}
	if !r.lastFlush.IsZero() && now.Sub(r.lastFlush) < r.every() {
		return
	}
	batch := r.startLocked(now)
	go func() {
		timeout := r.FlushTimeout
		if timeout <= 0 {
			timeout = DefaultFlushTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_ = r.write(ctx, batch, r.OnError)
	}()
}

// startLocked marks a flush in flight and takes the pending counters.
func (r *Recorder) startLocked(now time.Time) map[string]*keyCounts {
	batch := r.pending
	r.pending, r.cells = nil, 0
	r.lastFlush = now
	r.flushing = true
	r.idle = make(chan struct{})
	return batch
}

// write flushes batch, one AddUsage per key, puts back what failed, and
// ends the flush in flight. report, when set, hears of a failure before
// the flush ends, so whoever waits for the flush also sees the report.
func (r *Recorder) write(ctx context.Context, batch map[string]*keyCounts, report func(error)) error {
	var errs []error
	var failed []string
	var unknown int64
	for id, k := range batch {
		if err := r.Store.AddUsage(ctx, deltas(id, k)); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				// The deadline passed (a Lambda frozen mid-flush thaws
				// past it): the write may have landed, and counting it
				// again would count twice. Lose it rather.
				for _, c := range k.hours {
					unknown += c.ok + c.failed
				}
				continue
			}
			failed = append(failed, id)
		}
	}
	err := errors.Join(errs...)
	if err != nil && report != nil {
		report(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Flushes += int64(len(batch))
	r.stats.Failures += int64(len(failed))
	r.stats.Dropped += unknown
	for _, id := range failed {
		k := batch[id]
		for hour, c := range k.hours {
			r.add(k.tenant, id, hour, *c, c.ok+c.failed)
		}
	}
	r.flushing = false
	close(r.idle)
	return err
}

func deltas(id string, k *keyCounts) []domain.UsageDelta {
	out := make([]domain.UsageDelta, 0, len(k.hours))
	for hour, c := range k.hours {
		out = append(out, domain.UsageDelta{
			Tenant: k.tenant, KeyID: id, Hour: time.Unix(hour, 0).UTC(),
			Succeeded: c.ok, Failed: c.failed, LastUsed: c.lastUsed,
		})
	}
	return out
}

// Flush writes every pending counter now, whatever Every says, after any
// flush in flight: for shutdown and tests. Counters whose AddUsage fails
// stay pending and the error is returned.
func (r *Recorder) Flush(ctx context.Context) error {
	if err := r.Wait(ctx); err != nil {
		return err
	}
	r.mu.Lock()
	for r.flushing {
		// Another Flush or a Record won the race: wait again.
		idle := r.idle
		r.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
	}
	if len(r.pending) == 0 {
		r.mu.Unlock()
		return nil
	}
	batch := r.startLocked(r.Clock.Now())
	r.mu.Unlock()
	return r.write(ctx, batch, nil)
}

// Wait returns when no flush is in flight (or ctx is done): tests use it
// to observe a background flush without sleeping.
func (r *Recorder) Wait(ctx context.Context) error {
	for {
		r.mu.Lock()
		flushing, idle := r.flushing, r.idle
		r.mu.Unlock()
		if !flushing {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Stats returns the counts so far.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Pending returns how many (key, hour) counters wait for a flush.
func (r *Recorder) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cells
}
