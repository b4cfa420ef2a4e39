package domain

import (
	"context"
	"errors"
	"time"

	"github.com/keystorm/keystorm/events"
)

// EventQuery selects events of one tenant for the audit log. Every filter
// is optional except Tenant; filters combine with AND.
type EventQuery struct {
	// Tenant owns the events: a stream's events belong to the tenant of
	// its aggregate (the tenant's own stream to itself), whatever their
	// Meta says. Stores derive it from the committed state, never from
	// the request.
	Tenant string
	// Stream, when set, selects one aggregate's events (Ref.Stream()).
	Stream string
	// Types, when set, selects events of these type names.
	Types []string
	// Actor, when set, selects events whose Meta.Actor equals it.
	Actor string
	// From and To bound the event time, From ≤ At < To; a zero bound is
	// open.
	From, To time.Time
	// After is the Next of the previous page, "" for the first page.
	After string
	// Limit bounds the events returned (1..MaxLimit).
	Limit int
}

// EventPage is one page of the audit log, newest event first.
type EventPage struct {
	Events []events.Envelope
	// Next continues after the last event of this page; "" when the log
	// holds nothing further. A page may hold fewer than Limit events (a
	// store that filters after reading stops at a read budget) while
	// Next is still set: only an empty Next ends the listing.
	Next string
}

// ErrBadCursor is returned by EventLog.Events for an After it did not
// make. The domain answers it as an invalid value, never as a store
// failure.
var ErrBadCursor = errors.New("domain: malformed cursor")

// EventLog is the port that reads the event log back: the audit log and
// point-in-time folds. (Store writes the log; projections read states.)
type EventLog interface {
	// Stream returns one stream's events in version order: every event
	// of it, or none when the stream never existed. Errors:
	// ErrUnavailable.
	Stream(ctx context.Context, stream string) ([]events.Envelope, error)
	// Events returns a page of a tenant's events, newest first (by At,
	// then stream and version, descending). Errors: ErrBadCursor,
	// ErrUnavailable.
	Events(ctx context.Context, q EventQuery) (EventPage, error)
}

// UsageDelta is what one process counted for one API key in one hour
// since it last flushed that key.
type UsageDelta struct {
	Tenant string
	KeyID  string
	// Hour is the start of the hour (UTC) the verifications fell in.
	Hour      time.Time
	Succeeded int64
	Failed    int64
	// LastUsed is the latest successful verification in the delta; zero
	// when there was none.
	LastUsed time.Time
}

// UsageHour is a key's verification count in one hour.
type UsageHour struct {
	Hour      time.Time
	Succeeded int64
	Failed    int64
}

// UsageRetention is how long hourly usage is kept: the usage endpoint
// answers 30 days, and a day more covers the hour being counted.
const UsageRetention = 31 * 24 * time.Hour

// UsageStore is the port for per-key verification analytics. Counts are
// written as atomic increments, never read-modify-write, so processes
// flushing the same key concurrently all count.
type UsageStore interface {
	// AddUsage adds each delta to its key's hour and raises the key's
	// last-used time to LastUsed when that is later. Errors:
	// ErrUnavailable (nothing is known to be written then; callers keep
	// the deltas for the next flush).
	AddUsage(ctx context.Context, deltas []UsageDelta) error
	// Usage returns a key's hours with from ≤ Hour < to, oldest first;
	// hours without verifications are left out. Errors: ErrUnavailable.
	Usage(ctx context.Context, keyID string, from, to time.Time) ([]UsageHour, error)
	// LastUsed returns when each key last verified successfully; keys
	// never used are left out. Errors: ErrUnavailable.
	LastUsed(ctx context.Context, keyIDs []string) (map[string]time.Time, error)
}
