package domain

import (
	"sync"
	"time"
)

// Throttle slows down guessing of API key secrets without ever letting a
// key id alone lock its owner out.
//
// Why this shape: a key id is public (every token carries it as
// client_id), so anything counted per key id alone hands an attacker a
// switch that turns a key off for its owner. Failures are therefore
// counted per (key id, source address) and per source address: a source
// that keeps failing is slowed down, with a wait that doubles with every
// further failure, and nobody else notices. A 256-bit secret cannot be
// guessed at any rate, so the throttle is about cost and noise, not about
// the secret's strength; the fleet-wide limit is the WAF rate rule in
// front of the APIs.
//
// State lives in memory only, bounded by MaxEntries, and expires with its
// window: a flood of made-up key ids writes nothing anywhere and cannot
// grow memory without bound. Each Lambda instance throttles on its own.
type Throttle struct {
	Clock Clock
	// PerKey is the policy for one key id from one source; PerSource for
	// one source across all key ids.
	PerKey, PerSource ThrottlePolicy
	// MaxEntries bounds memory (DefaultThrottleEntries when 0).
	MaxEntries int

	mu sync.Mutex
	m  map[string]*throttleEntry
}

// ThrottlePolicy: Free failures within Window cost nothing; each failure
// after them makes the source wait Base, then twice as long each time,
// up to Max. A window with no failure for its whole length forgets them.
type ThrottlePolicy struct {
	Free   int
	Window time.Duration
	Base   time.Duration
	Max    time.Duration
}

// The default policies: 10 failures of one key id from one source, or 50
// from one source across ids, within 15 minutes, before any wait; then 1 s,
// 2 s, 4 s … up to 15 minutes.
var (
	DefaultPerKeyThrottle    = ThrottlePolicy{Free: 10, Window: 15 * time.Minute, Base: time.Second, Max: 15 * time.Minute}
	DefaultPerSourceThrottle = ThrottlePolicy{Free: 50, Window: 15 * time.Minute, Base: time.Second, Max: 15 * time.Minute}
)

// DefaultThrottleEntries bounds a Throttle's memory: about 100 bytes an
// entry.
const DefaultThrottleEntries = 100_000

// NewThrottle returns a Throttle with the default policies.
func NewThrottle(clock Clock) *Throttle {
	if clock == nil {
		panic("domain: NewThrottle needs a clock")
	}
	return &Throttle{Clock: clock, PerKey: DefaultPerKeyThrottle, PerSource: DefaultPerSourceThrottle}
}

type throttleEntry struct {
	failures int
	last     time.Time // of the last failure: the window slides with it
	until    time.Time // no attempt before this
}

// Wait returns how long an attempt for keyID from source must wait, 0
// when it may go ahead. An unknown source ("", as in API Gateway TOKEN
// authorizer events) is never throttled: counting it would count per key
// id alone.
func (t *Throttle) Wait(keyID, source string) time.Duration {
	if t == nil || source == "" {
		return 0
	}
	now := t.Clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	var sb, pb [keyBuffer]byte
	// Looked up as string(bytes), which allocates nothing: Wait runs on
	// every Basic authorization, cache hits included.
	for _, k := range [2][]byte{appendSourceKey(sb[:0], source), appendPairKey(pb[:0], keyID, source)} {
		if e := t.m[string(k)]; e != nil && now.Before(e.until) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	return wait
}

// Fail records a failed attempt for keyID from source.
func (t *Throttle) Fail(keyID, source string) {
	if t == nil || source == "" {
		return
	}
	now := t.Clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail(sourceKey(source), t.PerSource, now)
	t.fail(pairKey(keyID, source), t.PerKey, now)
}

// Succeeded forgets the failures of keyID from source: its owner is back.
// The source's own count stays, since one good key does not vouch for the
// other ids that source tried.
func (t *Throttle) Succeeded(keyID, source string) {
	if t == nil || source == "" {
		return
	}
	var buf [keyBuffer]byte
	k := appendPairKey(buf[:0], keyID, source)
	t.mu.Lock()
	defer t.mu.Unlock()
	// Looked up first, since a lookup of string(k) allocates nothing and
	// a delete would copy k: there is almost never anything to forget.
	if t.m[string(k)] != nil {
		delete(t.m, string(k))
	}
}

func (t *Throttle) fail(key string, p ThrottlePolicy, now time.Time) {
	e := t.m[key]
	if e == nil || now.Sub(e.last) > p.Window {
		e = &throttleEntry{}
		t.put(key, e, now)
	}
	e.failures++
	e.last = now
	if over := e.failures - p.Free; over > 0 {
		wait := p.Max
		if over <= 30 && p.Base<<(over-1) < p.Max {
			wait = p.Base << (over - 1)
		}
		e.until = now.Add(wait)
	}
}

// put stores a new entry, first making room: expired entries go, and if
// none has expired an arbitrary one does (map order), so memory stays
// bounded even under a flood of new sources.
func (t *Throttle) put(key string, e *throttleEntry, now time.Time) {
	if t.m == nil {
		t.m = make(map[string]*throttleEntry)
	}
	limit := t.MaxEntries
	if limit <= 0 {
		limit = DefaultThrottleEntries
	}
	if len(t.m) >= limit {
		window := max(t.PerKey.Window, t.PerSource.Window)
		for k, v := range t.m {
			if now.Sub(v.last) > window && !now.Before(v.until) {
				delete(t.m, k)
			}
		}
		for k := range t.m {
			if len(t.m) < limit {
				break
			}
			delete(t.m, k)
		}
	}
	t.m[key] = e
}

// Len is the number of entries held, for tests and metrics.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// Keys are bounded: a caller's strings are cut to 64 bytes, more than any
// key id or IP address needs, so an entry's size is bounded too.
func sourceKey(source string) string { return string(appendSourceKey(nil, source)) }

func pairKey(keyID, source string) string { return string(appendPairKey(nil, keyID, source)) }

// keyBuffer fits every key: a tag, two cut strings and two separators.
const keyBuffer = 2 + 64 + 1 + 64

func appendSourceKey(b []byte, source string) []byte {
	return append(append(b, "s\x00"...), cut(source)...)
}

func appendPairKey(b []byte, keyID, source string) []byte {
	return append(append(append(append(b, "k\x00"...), cut(keyID)...), 0), cut(source)...)
}

func cut(s string) string { return s[:min(len(s), 64)] }
