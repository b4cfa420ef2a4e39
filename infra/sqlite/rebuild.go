package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// ReadEvents returns every stream's envelopes in version order, keyed by
// stream id.
func (st *Store) ReadEvents(ctx context.Context) (map[string][]events.Envelope, error) {
	return readEvents(ctx, st.db)
}

func readEvents(ctx context.Context, q querier) (map[string][]events.Envelope, error) {
	rows, err := q.QueryContext(ctx, "SELECT stream, version, type, at, data, meta, atkey FROM events ORDER BY stream, version")
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	streams := map[string][]events.Envelope{}
	for rows.Next() {
		env, _, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		streams[env.Stream] = append(streams[env.Stream], env)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr(err)
	}
	return streams, nil
}

// project folds every stream into its current state and counts each
// parent's live children over the final states, with the same domain
// functions (Fold, ChildCounts) the DynamoDB store's Project uses, so
// both stores rebuild the same read models.
func project(streams map[string][]events.Envelope) ([]domain.State, map[domain.Ref]int64, error) {
	ids := make([]string, 0, len(streams))
	for id := range streams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	states := make([]domain.State, len(ids))
	for i, id := range ids {
		s, err := domain.Fold(streams[id])
		if err != nil {
			return nil, nil, err
		}
		states[i] = s
	}
	return states, domain.ChildCounts(states), nil
}

// RebuildStats reports what a rebuild did.
type RebuildStats struct {
	Streams  int
	Events   int
	Items    int // state and guard rows written
	Deleted  int // state and guard rows dropped
	Duration time.Duration
}

// Rebuild replays the event table into the read models: it drops every
// state and guard row and writes the projection of the log. Idempotency
// records are kept (they are not derived from events). Unlike the
// DynamoDB rebuild it is one transaction, so a failed rebuild changes
// nothing and readers never see half a rebuild; it still belongs to
// repair and migration, run with the server stopped.
func (st *Store) Rebuild(ctx context.Context) (RebuildStats, error) {
	start := time.Now()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return RebuildStats{}, storeErr(err)
	}
	defer tx.Rollback()
	stats, err := rebuild(ctx, tx)
	if err != nil {
		return stats, err
	}
	if err := tx.Commit(); err != nil {
		return stats, storeErr(err)
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// Import loads a log written elsewhere (the local server's events.jsonl
// of the DynamoDB days) into an empty store and projects it, in one
// transaction: a failed or interrupted import leaves the store empty, so
// the next start simply tries again. A store that already holds an event
// is left alone and Import reports imported false, which is what makes
// the import happen once.
func (st *Store) Import(ctx context.Context, envs []events.Envelope) (stats RebuildStats, imported bool, err error) {
	start := time.Now()
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return stats, false, storeErr(err)
	}
	defer tx.Rollback()
	var exists int
	if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM events)").Scan(&exists); err != nil {
		return stats, false, storeErr(err)
	}
	if exists != 0 {
		return stats, false, nil
	}
	for _, env := range envs {
		// The tenant is the folded state's, known only after the
		// rebuild below, which fills it.
		ok, err := insertEvent(ctx, tx, env, "")
		if err != nil {
			return stats, false, err
		}
		if !ok {
			// The same (stream, version) twice: the file contradicts
			// itself, and keeping either copy would be a guess.
			return stats, false, fmt.Errorf("import: %s version %d appears twice", env.Stream, env.Version)
		}
	}
	if stats, err = rebuild(ctx, tx); err != nil {
		return stats, false, err
	}
	if err := tx.Commit(); err != nil {
		return stats, false, storeErr(err)
	}
	stats.Duration = time.Since(start)
	return stats, true, nil
}

// rebuild is Rebuild inside the caller's transaction.
func rebuild(ctx context.Context, tx *sql.Tx) (RebuildStats, error) {
	var stats RebuildStats
	streams, err := readEvents(ctx, tx)
	if err != nil {
		return stats, err
	}
	stats.Streams = len(streams)
	for _, envs := range streams {
		stats.Events += len(envs)
	}
	states, counts, err := project(streams)
	if err != nil {
		return stats, err
	}
	for _, table := range []string{"states", "guards", "sizes"} {
		res, err := tx.ExecContext(ctx, "DELETE FROM "+table)
		if err != nil {
			return stats, storeErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return stats, storeErr(err)
		}
		stats.Deleted += int(n)
	}
	for _, s := range states {
		r, err := toStateRow(s)
		if err != nil {
			return stats, err
		}
		var children sql.NullInt64
		if _, ok := s.(domain.Parent); ok {
			children = sql.NullInt64{Int64: counts[s.Ref()], Valid: true}
		}
		if ok, err := insertState(ctx, tx, r, children); err != nil || !ok {
			return stats, errors.Join(err, fmt.Errorf("rebuild: %s written twice", r.stream))
		}
		stats.Items++
		for _, u := range s.UniqueKeys() {
			if _, err := tx.ExecContext(ctx, "INSERT INTO guards (key, owner) VALUES (?, ?)", u.Key, r.stream); err != nil {
				// Two live aggregates holding one key: the log
				// contradicts itself; refuse rather than pick one.
				return stats, fmt.Errorf("rebuild: guard %s of %s: %w", u.Key, r.stream, err)
			}
			stats.Items++
		}
	}
	// Events take their tenant from the states just written: Import
	// inserted them without one, and a rebuild repairs any that differ.
	if _, err := tx.ExecContext(ctx, fillEventTenants); err != nil {
		return stats, storeErr(err)
	}
	res, err := tx.ExecContext(ctx, countSizes)
	if err != nil {
		return stats, storeErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return stats, storeErr(err)
	}
	stats.Items += int(n)
	return stats, nil
}

// Empty reports an event table without a single event: a fresh install
// that still needs its bootstrap tenant.
func (st *Store) Empty(ctx context.Context) (bool, error) {
	var exists int
	if err := st.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM events)").Scan(&exists); err != nil {
		return false, storeErr(err)
	}
	return exists == 0, nil
}

// Tenants returns the ids of every tenant that is not deleted, in id
// order. Tenant streams are "tenant#<id>", so they are one range of the
// states' primary key: no extra index.
func (st *Store) Tenants(ctx context.Context) ([]string, error) {
	prefix := domain.KindTenant + "#"
	rows, err := st.db.QueryContext(ctx, "SELECT stream FROM states WHERE stream >= ? AND stream < ? AND deleted = 0 ORDER BY stream",
		prefix, domain.KindTenant+"$") // '$' follows '#'
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, storeErr(err)
		}
		ids = append(ids, strings.TrimPrefix(s, prefix))
	}
	return ids, storeErr(rows.Err())
}

// OnlyTenant picks the tenant an operator tool acts on, as the DynamoDB
// store's OnlyTenant does: want when it names an existing tenant, else
// the store's only tenant.
func (st *Store) OnlyTenant(ctx context.Context, want string) (string, error) {
	ids, err := st.Tenants(ctx)
	if err != nil {
		return "", err
	}
	return domain.ChooseTenant(ids, want)
}

// Dump returns every row of every table, one canonical line each, in
// order (storetest.Dumper): the contract suite compares dumps to prove a
// refused commit wrote nothing, and the rebuild test compares the read
// models row by row.
func (st *Store) Dump(ctx context.Context) ([]string, error) {
	var out []string
	for _, q := range []string{
		"SELECT 'event', stream, version, type, at, data, meta, tenant, atkey FROM events",
		"SELECT 'state', stream, kind, tenant, version, deleted, data, children, coll1, coll2, sortkey FROM states",
		"SELECT 'guard', key, owner FROM guards",
		"SELECT 'size', collection, n FROM sizes",
		"SELECT 'idem', key, fingerprint, result_kind, result_id, result_version, at, expires_at FROM idempotency",
	} {
		lines, err := dumpRows(ctx, st.db, q)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	slices.Sort(out)
	return out, nil
}

func dumpRows(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, storeErr(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, storeErr(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			// %q keeps NULL (<nil>) apart from the text "<nil>", and
			// makes every value one unambiguous field.
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprintf("%q", fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out, storeErr(rows.Err())
}
