package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/logpos"
)

// Store implements domain.Store on one SQLite database.
type Store struct {
	db *sql.DB
}

var _ domain.Store = (*Store)(nil)

// busyTimeout is how long a connection waits for another's write lock
// before SQLITE_BUSY. Commits are short (milliseconds), so a wait this
// long means something is stuck, and the caller gets ErrUnavailable.
const busyTimeout = 10 * time.Second

// Open opens (creating if needed) the database at path and its schema.
// Path "" or ":memory:" is a private in-memory database, for tests and
// throwaway servers; any other path is a file, e.g. DIR/keystorm.db
// under the local server's -data directory.
func Open(ctx context.Context, path string) (*Store, error) {
	memory := path == "" || path == ":memory:"
	if strings.ContainsRune(path, '?') {
		// The driver reads everything after '?' as its own parameters.
		return nil, fmt.Errorf("sqlite: path %q: '?' is not allowed", path)
	}
	// _txlock=immediate makes every read-write transaction BEGIN
	// IMMEDIATE: it takes the write lock up front, waiting under
	// busy_timeout, so a transaction that reads before it writes (a
	// commit of checks, Rebuild) never finds its snapshot stale at its
	// first write, which SQLite answers with SQLITE_BUSY at once instead
	// of waiting. Read-only transactions (List) stay DEFERRED.
	params := fmt.Sprintf("_txlock=immediate&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())
	if memory {
		path = ":memory:"
	} else {
		// WAL lets readers go on while a commit writes; NORMAL sync is
		// durable across crashes of the process (not of the OS) in WAL
		// mode, which suits a local server.
		params += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", path+"?"+params)
	if err != nil {
		return nil, err
	}
	if memory {
		// Every connection to ":memory:" opens a database of its own, so
		// the store keeps exactly one connection, forever: it is the
		// database. Commits and reads then take turns on it.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	st := &Store{db: db}
	if err := st.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

func (st *Store) migrate(ctx context.Context) error {
	var v int
	if err := st.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("sqlite: database schema version %d is newer than this binary's %d", v, schemaVersion)
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema+usageSchema); err != nil {
		return fmt.Errorf("sqlite: schema: %w", err)
	}
	if v < 2 {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sizes; "+countSizes); err != nil {
			return fmt.Errorf("sqlite: schema: %w", err)
		}
	}
	if v < 3 {
		if err := addEventColumns(ctx, tx); err != nil {
			return fmt.Errorf("sqlite: schema: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fillEventTenants+";"+fillEventAtKeys); err != nil {
			return fmt.Errorf("sqlite: schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, eventIndexes); err != nil {
		return fmt.Errorf("sqlite: schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("sqlite: schema: %w", err)
	}
	return tx.Commit()
}

// addEventColumns adds the version 3 columns an older events table
// lacks.
func addEventColumns(ctx context.Context, tx *sql.Tx) error {
	for _, c := range eventColumns {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info('events') WHERE name = ?", c.name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE events ADD COLUMN "+c.name+" "+c.def); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database. An in-memory store is gone after it.
func (st *Store) Close() error { return st.db.Close() }

// querier is what reads need: the database, or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Load implements domain.Store with one primary-key lookup.
func (st *Store) Load(ctx context.Context, ref domain.Ref, dst domain.State) error {
	var kind, data string
	var children sql.NullInt64
	err := st.db.QueryRowContext(ctx, "SELECT kind, data, children FROM states WHERE stream = ?", ref.Stream()).Scan(&kind, &data, &children)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	if err != nil {
		return storeErr(err)
	}
	if kind != ref.Kind {
		return fmt.Errorf("load %s: stored kind %q", ref.Stream(), kind)
	}
	if err := json.Unmarshal([]byte(data), dst); err != nil {
		return fmt.Errorf("load %s: %w", ref.Stream(), err)
	}
	setChildren(dst, children)
	return nil
}

// LoadMany implements domain.Store with one query, whatever the number of
// refs: they travel as one JSON array parameter (json_each), so there is
// no bound on SQL variables to batch around.
func (st *Store) LoadMany(ctx context.Context, refs []domain.Ref) ([]domain.State, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	streams := make([]string, len(refs))
	for i, r := range refs {
		streams[i] = r.Stream()
	}
	arg, err := json.Marshal(streams)
	if err != nil {
		return nil, err
	}
	rows, err := st.db.QueryContext(ctx, "SELECT kind, data, children FROM states WHERE stream IN (SELECT value FROM json_each(?))", string(arg))
	if err != nil {
		return nil, storeErr(err)
	}
	return scanStates(rows)
}

// List implements domain.Store: the page and the total are read in one
// read transaction, so they agree. The total is the collection's row in
// sizes; OFFSET walks that many index entries before the page.
func (st *Store) List(ctx context.Context, collection string, offset, limit int) ([]domain.State, int, error) {
	return st.list(ctx, collection, limit, func(col string) (string, []any) {
		// ORDER BY matches the index (collection, sortkey, stream), so
		// this walks the index and sorts nothing; stream breaks ties
		// like the id inside SortKey does.
		return "SELECT kind, data, children FROM states WHERE " + col + " = ? ORDER BY sortkey, stream LIMIT ? OFFSET ?",
			[]any{collection, limit, max(offset, 0)}
	})
}

// ListAfter implements domain.Store: the same read, seeking the index to
// the first sort key past after instead of counting past items.
func (st *Store) ListAfter(ctx context.Context, collection, after string, limit int) ([]domain.State, int, error) {
	return st.list(ctx, collection, limit, func(col string) (string, []any) {
		return "SELECT kind, data, children FROM states WHERE " + col + " = ? AND sortkey > ? ORDER BY sortkey, stream LIMIT ?",
			[]any{collection, after, limit}
	})
}

func (st *Store) list(ctx context.Context, collection string, limit int, page func(col string) (string, []any)) ([]domain.State, int, error) {
	col := "coll1"
	if domain.CollectionSlot(collection) == 1 {
		col = "coll2"
	}
	tx, err := st.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, storeErr(err)
	}
	defer tx.Rollback()
	var total int
	err = tx.QueryRowContext(ctx, "SELECT n FROM sizes WHERE collection = ?", collection).Scan(&total)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, storeErr(err)
	}
	if total == 0 || limit <= 0 {
		return nil, total, nil
	}
	q, args := page(col)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, storeErr(err)
	}
	out, err := scanStates(rows)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func scanStates(rows *sql.Rows) ([]domain.State, error) {
	defer rows.Close()
	var out []domain.State
	for rows.Next() {
		var kind, data string
		var children sql.NullInt64
		if err := rows.Scan(&kind, &data, &children); err != nil {
			return nil, storeErr(err)
		}
		s, err := domain.NewState(kind)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), s); err != nil {
			return nil, fmt.Errorf("decode %s state: %w", kind, err)
		}
		setChildren(s, children)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	return out, nil
}

// setChildren hands a parent its stored child count.
func setChildren(s domain.State, n sql.NullInt64) {
	if p, ok := s.(domain.Parent); ok && n.Valid {
		p.SetChildren(n.Int64)
	}
}

// Owner implements domain.Store: one primary-key read of the guard.
func (st *Store) Owner(ctx context.Context, key string) (domain.Ref, error) {
	var owner string
	err := st.db.QueryRowContext(ctx, "SELECT owner FROM guards WHERE key = ?", key).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Ref{}, domain.ErrNotFound
	}
	if err != nil {
		return domain.Ref{}, storeErr(err)
	}
	return domain.ParseStream(owner)
}

// Idempotency implements domain.Store. Expiry is judged as the DynamoDB
// store judges it: the record's At plus IdempotencyTTL, in whole seconds,
// against the caller's now.
func (st *Store) Idempotency(ctx context.Context, key string, now time.Time) (domain.IdemRecord, error) {
	var rec domain.IdemRecord
	var at string
	var expires int64
	err := st.db.QueryRowContext(ctx, "SELECT fingerprint, result_kind, result_id, result_version, at, expires_at FROM idempotency WHERE key = ?", key).
		Scan(&rec.Fingerprint, &rec.Result.Kind, &rec.Result.ID, &rec.ResultVersion, &at, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.IdemRecord{}, domain.ErrNotFound
	}
	if err != nil {
		return domain.IdemRecord{}, storeErr(err)
	}
	if expires < now.Unix() {
		return domain.IdemRecord{}, domain.ErrNotFound
	}
	rec.Key = key
	rec.At, err = time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return domain.IdemRecord{}, fmt.Errorf("idempotency %s: bad time: %w", key, err)
	}
	return rec, nil
}

// stateRow is the stored form of an aggregate state.
type stateRow struct {
	stream, kind, tenant string
	version              int64
	deleted              bool
	data                 string
	coll1, coll2         sql.NullString
	sortkey              string
}

func toStateRow(s domain.State) (stateRow, error) {
	data, err := json.Marshal(s)
	if err != nil {
		return stateRow{}, err
	}
	r := stateRow{stream: s.Ref().Stream(), kind: s.Ref().Kind, tenant: s.TenantID(), version: s.Version(), deleted: s.Deleted(), data: string(data), sortkey: s.SortKey()}
	colls := s.Collections()
	if len(colls) > 2 {
		return stateRow{}, fmt.Errorf("%s lists in %d collections, at most 2 are stored", r.stream, len(colls))
	}
	if len(colls) > 0 {
		r.coll1 = sql.NullString{String: colls[0], Valid: true}
	}
	if len(colls) > 1 {
		r.coll2 = sql.NullString{String: colls[1], Valid: true}
	}
	return r, nil
}

// insertState writes a new state row; it reports false when the stream
// already has one.
func insertState(ctx context.Context, q querier, r stateRow, children sql.NullInt64) (bool, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO states (stream, kind, tenant, version, deleted, data, children, coll1, coll2, sortkey)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (stream) DO NOTHING`,
		r.stream, r.kind, r.tenant, r.version, r.deleted, r.data, children, r.coll1, r.coll2, r.sortkey)
	return affected(res, err)
}

// insertEvent appends an event of tenant's; it reports false when the
// version exists. tenant is "" only for Import, whose rebuild fills it.
func insertEvent(ctx context.Context, q querier, env events.Envelope, tenant string) (bool, error) {
	meta, err := json.Marshal(env.Meta)
	if err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, "INSERT INTO events (stream, version, type, at, data, meta, tenant, atkey) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
		env.Stream, env.Version, env.Type, env.At.UTC().Format(time.RFC3339Nano), string(env.Data), string(meta), tenant, logpos.AtKey(env.At))
	return affected(res, err)
}

// affected reports whether a statement changed a row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, storeErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, storeErr(err)
	}
	return n > 0, nil
}

// storeErr maps database errors as the DynamoDB store maps SDK errors:
// a busy or failing database is "unavailable" (retryable, 503); anything
// else from SQLite (a bad statement, a constraint the code does not
// expect) is our bug, internal. The cause stays wrapped for logs.
func storeErr(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_INTERRUPT:
		default:
			return &domain.Error{Kind: domain.KindInternal, Code: domain.CodeInternal, Message: "Internal error.", Err: err}
		}
	}
	return &domain.Error{Kind: domain.KindUnavailable, Code: domain.CodeStoreUnavailable, Message: domain.ErrUnavailable.Message, Err: err}
}

// Sweeps implements domain.Store from the partial index of deleted
// parents with children left.
func (st *Store) Sweeps(ctx context.Context, limit int) ([]domain.Ref, error) {
	rows, err := st.db.QueryContext(ctx, "SELECT stream FROM states WHERE deleted = 1 AND children > 0 ORDER BY stream LIMIT ?", limit)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []domain.Ref
	for rows.Next() {
		var stream string
		if err := rows.Scan(&stream); err != nil {
			return nil, storeErr(err)
		}
		ref, err := domain.ParseStream(stream)
		if err != nil {
			return nil, err
		}
		out = append(out, ref)
	}
	return out, storeErr(rows.Err())
}
