package projector

import (
	"context"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Feed is the local server's stand-in for the DynamoDB stream: a
// domain.Store whose Commit, once the wrapped store committed, queues
// the commit's events for the Projector, which a goroutine delivers in
// commit order. A delivery that fails is retried after Backoff, up to
// MaxAttempts times, like the stream's retries; an event that still
// fails is set aside in DeadLetters (the dead-letter queue's stand-in),
// logged, and the feed moves on.
//
// A process that stops with events queued loses them; the local server
// therefore re-syncs every projection's state at start
// (domain.PlanSync.SyncAll, Service.Sweep), which is what a redelivery
// would have done.
type Feed struct {
	domain.Store
	Projector   *Projector
	Backoff     time.Duration
	MaxAttempts int

	mu       sync.Mutex
	queue    []events.Envelope
	busy     bool // an event is being delivered
	held     int  // Hold calls not yet released: delivery waits
	closed   bool
	dead     []events.Envelope
	wake     chan struct{}
	idle     *sync.Cond
	stop     chan struct{}
	stopped  chan struct{}
	closeOne sync.Once
	// attempts counts delivery attempts (Attempts), for tests.
	attempts int
}

// NewFeed starts a feed over store.
func NewFeed(store domain.Store, p *Projector) *Feed {
	f := &Feed{Store: store, Projector: p, Backoff: 200 * time.Millisecond, MaxAttempts: 10,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	f.idle = sync.NewCond(&f.mu)
	go f.run()
	return f
}

// Commit implements domain.Store: the wrapped store's commit, then its
// events queued. An error means nothing was committed, so nothing is
// queued.
func (f *Feed) Commit(ctx context.Context, c domain.Commit) error {
	if err := f.Store.Commit(ctx, c); err != nil {
		return err
	}
	var envs []events.Envelope
	for _, ch := range c.Changes {
		envs = append(envs, ch.Events...)
	}
	f.Publish(envs...)
	return nil
}

// Publish queues events for delivery (Commit does it for every commit;
// tests use it to deliver duplicates).
func (f *Feed) Publish(envs ...events.Envelope) {
	if len(envs) == 0 {
		return
	}
	f.mu.Lock()
	f.queue = append(f.queue, envs...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Wait blocks until every queued event has been delivered or set aside,
// or ctx ends.
func (f *Feed) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		f.mu.Lock()
		for (len(f.queue) > 0 || f.busy) && !f.closed {
			f.idle.Wait()
		}
		f.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeadLetters returns the events that failed MaxAttempts deliveries.
func (f *Feed) DeadLetters() []events.Envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]events.Envelope(nil), f.dead...)
}

// Attempts returns how many deliveries were attempted.
func (f *Feed) Attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

// Hold stops delivery until the returned release is called; events
// queue meanwhile. The local server holds the feed while it fills the
// usage plans at start, so that a late write of that fill cannot undo
// an event committed during it.
func (f *Feed) Hold() (release func()) {
	f.mu.Lock()
	f.held++
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.held--
			f.mu.Unlock()
			select {
			case f.wake <- struct{}{}:
			default:
			}
		})
	}
}

// Close stops the feed; events still queued are dropped (see Feed).
func (f *Feed) Close() {
	f.closeOne.Do(func() { close(f.stop) })
	<-f.stopped
}

func (f *Feed) run() {
	defer close(f.stopped)
	defer func() {
		// Waiters must not wait for a feed that delivers no more.
		f.mu.Lock()
		f.closed, f.busy = true, false
		f.idle.Broadcast()
		f.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { <-f.stop; cancel() }()
	for {
		f.mu.Lock()
		if len(f.queue) == 0 || f.held > 0 {
			f.busy = false
			f.idle.Broadcast()
			f.mu.Unlock()
			select {
			case <-f.wake:
				continue
			case <-f.stop:
				return
			}
		}
		env := f.queue[0]
		f.queue = f.queue[1:]
		f.busy = true
		f.mu.Unlock()
		f.deliver(ctx, env)
		select {
		case <-f.stop:
			return
		default:
		}
	}
}

// deliver tries env until it succeeds or MaxAttempts is spent. Later
// events wait meanwhile, as a stream shard's do.
func (f *Feed) deliver(ctx context.Context, env events.Envelope) {
	for attempt := 1; ; attempt++ {
		f.mu.Lock()
		f.attempts++
		f.mu.Unlock()
		if err := f.Projector.Project(ctx, env); err == nil {
			return
		}
		if attempt >= max(f.MaxAttempts, 1) {
			f.Projector.log().Error("event set aside after failed deliveries", "stream", env.Stream, "version", env.Version, "type", env.Type, "attempts", attempt)
			f.mu.Lock()
			f.dead = append(f.dead, env)
			f.mu.Unlock()
			return
		}
		select {
		case <-time.After(f.Backoff):
		case <-f.stop:
			return
		}
	}
}
