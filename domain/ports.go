package domain

import (
	"context"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Aggregate kinds; "kind#id" is the stream id and the read-model key.
const (
	KindTenant      = "tenant"
	KindApplication = "application"
	KindAccount     = "account"
	KindGroup       = "group"
	KindMembership  = "group_membership"
	KindAPIKey      = "apikey"
	KindToken       = "token"
)

// Ref names one aggregate.
type Ref struct {
	Kind string
	ID   string
}

// Stream is the event stream id of the aggregate.
func (r Ref) Stream() string { return r.Kind + "#" + r.ID }

// Unique is a uniqueness guard held by an aggregate, for example a username
// within a directory. Field names the property for error messages.
type Unique struct {
	Key   string
	Field string
}

// State is the current state of one aggregate. It doubles as the read model:
// the Store keeps exactly one item per aggregate, plus the collection index
// entries and uniqueness guards derived from it here, so that live projection
// and rebuild compute the same thing.
type State interface {
	Ref() Ref
	Version() int64
	TenantID() string
	// Deleted reports a tombstone: it keeps its version and answers 404.
	Deleted() bool
	// Collections lists the collections (at most two) the aggregate is
	// listed in, e.g. "application/<id>/accounts". None once deleted.
	Collections() []string
	// SortKey orders items inside a collection: creation time, then id.
	SortKey() string
	// UniqueKeys lists the guards the aggregate holds. None once deleted.
	UniqueKeys() []Unique
	// Apply evolves the state by one event. It never validates.
	Apply(env events.Envelope) error
}

// Child is implemented by aggregates that live under others: an account
// or a group under its application, an API key under its account, a
// membership under its account and its group. While a child is not
// deleted it counts toward each of its parents' child counts (see Parent).
type Child interface {
	State
	// Parents names the aggregates the child lives under. They never
	// change over the child's life.
	Parents() []Ref
}

// Parent is implemented by aggregates that others live under
// (applications, accounts, groups).
//
// Why: a parent's delete lists its children and then commits, so a child
// created in between would outlive it, pointing at a deleted parent. The
// Store therefore keeps, beside each parent's state, the number of its
// children that are not deleted, and maintains it in the very transaction
// that creates or deletes a child (see Store.Commit). A parent's delete
// then succeeds only if that count reaches zero with it, which a child
// created after the listing prevents; or, for a cascade too large for
// one transaction, only if the count is still what the command loaded,
// the children then following in sweep batches (Change.Sweep, sweep.go). The count lives beside the state,
// not in its version: creating a child does not conflict with creating
// its siblings, nor with edits of the parent. It is derived from the
// event log (the live children), so a rebuild recomputes it.
type Parent interface {
	State
	// Children is the child count as loaded: the Store sets it on every
	// parent it loads or lists. Writes ignore it.
	Children() int64
	SetChildren(n int64)
}

// Change is one aggregate's part of a commit: its state before (nil when
// the stream is new), the events appended, and its state after them.
type Change struct {
	Before State
	After  State
	Events []events.Envelope
	// Sweep, on a change that deletes a Parent, lets the parent go while
	// children of it live on, for later commits to delete in bounded
	// batches (Service.Sweep): a cascade too large for one transaction.
	// The parent's count is then kept, not required to reach zero: the
	// store requires it to equal Before's Children() (a child added
	// since makes the command retry with a fresh count) and writes it
	// less the children this commit deletes, which must leave some. The
	// parent is then listed by Store.Sweeps until its count drains.
	Sweep bool
}

// Swept names a deleted parent whose children a commit deletes (a sweep
// batch, or a cascade reaching a child of a parent being swept): Parent
// is its tombstone as the command loaded it, with its child count. The
// store requires the count (and version) to be exactly that (else
// ErrVersionConflict: another sweep got there first) and writes it less
// the children deleted; at zero the parent's sweep is over and
// Store.Sweeps no longer lists it. (The whole state is handed over so
// that a store may rewrite the item rather than update it: DynamoDB's
// emulator keeps index entries of attributes an update removes.) A
// commit names every deleted parent whose count it changes, so that a
// count never drains without ending the sweep.
type Swept struct {
	Parent Parent
}

// Check asks the Store to verify, inside the transaction, that an aggregate
// still exists and is not deleted (and, when Version > 0, is still at that
// version) without writing it.
type Check struct {
	Ref     Ref
	Version int64
}

// IdemRecord remembers the outcome of a request sent with an
// Idempotency-Key, so a retry gets the first result.
type IdemRecord struct {
	// Key is tenant-scoped: "<tenant>/<Idempotency-Key>".
	Key string
	// Fingerprint identifies the request (method, path, body).
	Fingerprint string
	// Result is the aggregate the request created or changed, and
	// ResultVersion its version right after.
	Result        Ref
	ResultVersion int64
	// At is when the request was decided, by the service's Clock. The
	// record lives until At + IdempotencyTTL; a Commit may overwrite an
	// older record whose time is up by its own At.
	At time.Time
}

// IdempotencyTTL is how long an Idempotency-Key is remembered.
const IdempotencyTTL = 24 * time.Hour

// Commit is the unit of atomic work: all of it is written, or none.
type Commit struct {
	Changes []Change
	Checks  []Check
	Swept   []Swept
	Idem    *IdemRecord
}

// MaxCommitItems bounds what a single commit may touch. DynamoDB
// transactions take at most 100 actions; an event and a state item per
// change, plus guards, checks, the child counts of parents the commit
// does not otherwise change, and the idempotency record, must fit.
const MaxCommitItems = 100

// Store is the port to the event store and read models.
type Store interface {
	// Load reads the state of ref into dst, and a Parent's child count.
	// Errors: ErrNotFound when the aggregate never existed;
	// ErrUnavailable. A deleted aggregate loads with Deleted() true.
	// LoadMany and List set child counts too.
	Load(ctx context.Context, ref Ref, dst State) error
	// LoadMany reads several aggregates in one round trip where possible;
	// missing ones are left out. Errors: ErrUnavailable.
	LoadMany(ctx context.Context, refs []Ref) ([]State, error)
	// Commit appends the events of every change conditionally on its
	// expected version (Before's, or none), writes the After states,
	// acquires and releases uniqueness guards, keeps child counts,
	// verifies checks and writes the idempotency record, in one
	// transaction. Child counts follow ChildDeltas: a child that comes to
	// life adds one to each parent, which must then exist and not be
	// deleted (else *CheckFailed naming the parent); a child deleted
	// takes one off, its parent being live (else ErrVersionConflict) or
	// named in Swept with its exact count (else ErrVersionConflict). A
	// change that deletes a
	// Parent requires its count to reach zero in this commit, that is,
	// the commit deletes every live child of it (else ErrVersionConflict:
	// a child came in after the command listed them), unless the change
	// has Sweep set (see Change.Sweep and Swept: the children then go in
	// later commits). A store touches a
	// parent once per commit: its count goes into its change's write when
	// the commit also changes it, and a Check of a counted parent goes
	// into the count's write. Errors:
	// ErrVersionConflict, *UniqueViolation, *CheckFailed,
	// *IdempotencyReplay, ErrUnavailable.
	Commit(ctx context.Context, c Commit) error
	// List returns one page of a collection in creation order and the
	// collection's total size. Errors: ErrUnavailable.
	//
	// An offset skips items one by one inside the store (SQLite walks the
	// index, DynamoDB reads the skipped items), so a deep offset costs in
	// proportion to its depth; ListAfter is the way to page deep.
	List(ctx context.Context, collection string, offset, limit int) ([]State, int, error)
	// ListAfter returns up to limit items of a collection whose SortKey
	// comes after the given one, in creation order, and the collection's
	// total size: keyset paging, which seeks the index, so the thousandth
	// page costs what the first does. after need not be a live item's
	// key; an item deleted since still marks its place. Errors:
	// ErrUnavailable.
	ListAfter(ctx context.Context, collection, after string, limit int) ([]State, int, error)
	// Owner returns the aggregate holding the uniqueness guard key (a
	// Unique.Key), read consistently: an exact username or email lookup
	// in O(1). Errors: ErrNotFound when no one holds it; ErrUnavailable.
	Owner(ctx context.Context, key string) (Ref, error)
	// Idempotency returns the record stored under key, unless it expired
	// (IdempotencyTTL after its At) by now. The caller passes now from its
	// Clock, so a store never reads a clock of its own. Errors:
	// ErrNotFound, ErrUnavailable.
	Idempotency(ctx context.Context, key string, now time.Time) (IdemRecord, error)
	// Sweeps returns up to limit deleted parents whose child count is not
	// zero: those deleted with Change.Sweep whose children are not all
	// swept yet (a sweep cut short by a crash among them). It reads an
	// index of just those (SQLite: a partial index; DynamoDB: a sparse
	// partition of the first collection index), never the whole store.
	// The index may lag on DynamoDB, so callers load each parent to see
	// its count. Errors: ErrUnavailable.
	Sweeps(ctx context.Context, limit int) ([]Ref, error)
}

// Clock is injected so that tests control time. Every comparison of
// times in domain and infra reads a Clock handed in by the wiring, never
// the wall clock, so that a test with a fixed date passes on any day.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock. Only wiring (functions' main.go, the
// local server, scripts, and NewService's defaults) should name it.
var SystemClock Clock = ClockFunc(time.Now)

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now implements Clock.
func (f ClockFunc) Now() time.Time { return f() }

// IDGenerator makes resource ids.
type IDGenerator interface {
	// NewID returns an opaque resource id.
	NewID() string
	// NewKeyID returns an API key id.
	NewKeyID() string
}
