package domain

import (
	"sync"
	"time"

	"github.com/keystorm/keystorm/events"
)

// RateLimit is a request budget of an API key: a token bucket that holds
// up to Requests and refills at Requests per Period. It is exactly the
// shape of an API Gateway usage plan's throttle (burst Requests, rate
// Requests/Period per second), which enforces it on AWS; the local
// gateway enforces the same bucket (RateLimiter). The zero value is no
// limit.
type RateLimit struct {
	Requests int           `json:"requests,omitempty"`
	Period   time.Duration `json:"period,omitempty"`
}

// Bounds of a rate limit. A day is the longest period: beyond it the
// bucket's refill is too slow to express as a usage plan rate.
const (
	MaxRateLimitRequests = 1_000_000
	MinRateLimitPeriod   = time.Second
	MaxRateLimitPeriod   = 24 * time.Hour
)

// IsZero reports no limit.
func (l RateLimit) IsZero() bool { return l.Requests == 0 }

// PerSecond is the bucket's refill rate.
func (l RateLimit) PerSecond() float64 { return float64(l.Requests) / l.Period.Seconds() }

func rateLimitOf(e events.RateLimit) RateLimit {
	if e.Requests <= 0 || e.PeriodSeconds <= 0 {
		return RateLimit{}
	}
	return RateLimit{Requests: e.Requests, Period: time.Duration(e.PeriodSeconds) * time.Second}
}

func (l RateLimit) event() events.RateLimit {
	return events.RateLimit{Requests: l.Requests, PeriodSeconds: int(l.Period / time.Second)}
}

// checkRateLimit validates a limit given in a request (nil: not given;
// the zero value lifts it).
func checkRateLimit(l *RateLimit) error {
	if l == nil || *l == (RateLimit{}) {
		return nil
	}
	if l.Requests < 1 || l.Requests > MaxRateLimitRequests {
		return invalid(CodeInvalidValue, "rateLimit", "rateLimit.requests must be a whole number from 1 to %d.", MaxRateLimitRequests)
	}
	if l.Period < MinRateLimitPeriod || l.Period > MaxRateLimitPeriod || l.Period%time.Second != 0 {
		return invalid(CodeInvalidValue, "rateLimit", "rateLimit.period must be whole seconds from PT1S to P1D.")
	}
	return nil
}

// EffectiveRateLimit is what applies to a key: its own limit, else its
// application's default, else none.
func EffectiveRateLimit(k *APIKey, app *Application) RateLimit {
	if k != nil && !k.RateLimit.IsZero() {
		return k.RateLimit
	}
	if app != nil {
		return app.DefaultRateLimit
	}
	return RateLimit{}
}

// UsagePrefix starts every usage identifier. Letters only: API Gateway
// API key values are alphanumeric (20 to 128 characters), and so is a
// key id (base36), so the identifier is one valid value as it is.
const UsagePrefix = "keystorm"

// UsageIdentifier is the usage identifier of a key with a rate limit:
// the value the authorizer returns as usageIdentifierKey, and the value
// of the API Gateway API key, in the usage plan of that limit, that the
// projector keeps for it. It identifies a bucket, not a caller: it is no
// credential (only the authorizer admits requests), so deriving it from
// the public key id is safe, and lets the authorizer name it without a
// read.
func UsageIdentifier(keyID string) string { return UsagePrefix + keyID }

// RateLimiter enforces rate limits in one process: the local gateway's
// stand-in for API Gateway's usage plans. Buckets are kept by usage
// identifier, on the injected Clock.
type RateLimiter struct {
	Clock Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	limit  RateLimit
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory; buckets full again are
// dropped first, which changes nothing (a new bucket starts full).
const maxBuckets = 100000

// Allow takes one request from the bucket of id under limit, or says how
// long until one is available. A changed limit starts a new, full
// bucket, as a key moved to another usage plan does.
func (r *RateLimiter) Allow(id string, limit RateLimit) (bool, time.Duration) {
	if limit.IsZero() {
		return true, 0
	}
	now := r.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buckets == nil {
		r.buckets = map[string]*bucket{}
	}
	b, ok := r.buckets[id]
	if !ok || b.limit != limit {
		if len(r.buckets) >= maxBuckets {
			r.prune(now)
		}
		b = &bucket{limit: limit, tokens: float64(limit.Requests), at: now}
		r.buckets[id] = b
	}
	rate := limit.PerSecond()
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(float64(limit.Requests), b.tokens+el.Seconds()*rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return false, max(wait, time.Nanosecond)
}

// prune drops the buckets that are full by now, and if that is not
// enough, all of them (a new bucket starts full, so a caller can gain at
// most one burst from it).
func (r *RateLimiter) prune(now time.Time) {
	for id, b := range r.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*b.limit.PerSecond() >= float64(b.limit.Requests) {
			delete(r.buckets, id)
		}
	}
	if len(r.buckets) >= maxBuckets {
		clear(r.buckets)
	}
}
