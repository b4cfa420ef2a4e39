package sqlite

import (
	"context"
	"encoding/json"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// usageSchema holds per-key verification analytics (domain.UsageStore).
// It is derived from nothing and rebuilt by nothing: a rebuild from the
// event log leaves it alone, and it is not part of Dump, whose "nothing
// written" checks are about commits. Like schema, every statement is
// idempotent, so Open runs it on every file; the tables need no schema
// version of their own.
//
// Why these shapes:
//   - usage_hours is keyed by (key_id, hour), hour in Unix seconds of the
//     hour's start, so a key's range is one index range in time order and
//     a flush is an UPSERT increment, never a read-modify-write.
//   - usage_hours_hour serves the prune, which deletes by hour across keys.
//   - usage_last holds one row per key, last_used in Unix nanoseconds so
//     max() keeps the latest exactly.
const usageSchema = `
CREATE TABLE IF NOT EXISTS usage_hours (
	key_id    TEXT    NOT NULL,
	hour      INTEGER NOT NULL,
	tenant    TEXT    NOT NULL,
	succeeded INTEGER NOT NULL,
	failed    INTEGER NOT NULL,
	PRIMARY KEY (key_id, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_hours_hour ON usage_hours (hour);

CREATE TABLE IF NOT EXISTS usage_last (
	key_id    TEXT    NOT NULL PRIMARY KEY,
	tenant    TEXT    NOT NULL,
	last_used INTEGER NOT NULL
) WITHOUT ROWID;
`

var _ domain.UsageStore = (*Store)(nil)

// AddUsage implements domain.UsageStore in one transaction: either every
// delta counts or none does, so a caller that keeps its deltas after an
// error never counts one twice. Hours older than domain.UsageRetention
// before the newest hour of the batch are pruned in the same transaction:
// the store has no clock of its own, and the flushes keep arriving while
// the key is used.
func (st *Store) AddUsage(ctx context.Context, deltas []domain.UsageDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	tx, err := st.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr(err)
	}
	defer tx.Rollback()
	var newest int64
	wrote := false
	for _, d := range deltas {
		hour := usageHour(d.Hour)
		if d.Succeeded != 0 || d.Failed != 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO usage_hours (key_id, hour, tenant, succeeded, failed) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key_id, hour) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed`,
				d.KeyID, hour.Unix(), d.Tenant, d.Succeeded, d.Failed)
			if err != nil {
				return storeErr(err)
			}
			if !wrote || hour.Unix() > newest {
				newest, wrote = hour.Unix(), true
			}
		}
		if !d.LastUsed.IsZero() {
			_, err := tx.ExecContext(ctx, `INSERT INTO usage_last (key_id, tenant, last_used) VALUES (?, ?, ?)
				ON CONFLICT (key_id) DO UPDATE SET last_used = max(last_used, excluded.last_used)`,
				d.KeyID, d.Tenant, d.LastUsed.UnixNano())
			if err != nil {
				return storeErr(err)
			}
		}
	}
	if wrote {
		cutoff := newest - int64(domain.UsageRetention/time.Second)
		if _, err := tx.ExecContext(ctx, "DELETE FROM usage_hours WHERE hour < ?", cutoff); err != nil {
			return storeErr(err)
		}
	}
	return storeErr(tx.Commit())
}

// Usage implements domain.UsageStore with one primary-key range.
func (st *Store) Usage(ctx context.Context, keyID string, from, to time.Time) ([]domain.UsageHour, error) {
	rows, err := st.db.QueryContext(ctx, `SELECT hour, succeeded, failed FROM usage_hours
		WHERE key_id = ? AND hour >= ? AND hour < ? AND (succeeded != 0 OR failed != 0) ORDER BY hour`,
		keyID, unixCeil(from), unixCeil(to))
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []domain.UsageHour
	for rows.Next() {
		var h domain.UsageHour
		var hour int64
		if err := rows.Scan(&hour, &h.Succeeded, &h.Failed); err != nil {
			return nil, storeErr(err)
		}
		h.Hour = time.Unix(hour, 0).UTC()
		out = append(out, h)
	}
	return out, storeErr(rows.Err())
}

// LastUsed implements domain.UsageStore with one query, the ids passed as
// one JSON array (json_each) like LoadMany.
func (st *Store) LastUsed(ctx context.Context, keyIDs []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(keyIDs) == 0 {
		return out, nil
	}
	arg, err := json.Marshal(keyIDs)
	if err != nil {
		return nil, err
	}
	rows, err := st.db.QueryContext(ctx, "SELECT key_id, last_used FROM usage_last WHERE key_id IN (SELECT value FROM json_each(?))", string(arg))
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ns int64
		if err := rows.Scan(&id, &ns); err != nil {
			return nil, storeErr(err)
		}
		out[id] = time.Unix(0, ns).UTC()
	}
	return out, storeErr(rows.Err())
}

// usageHour is the start of t's hour in UTC: deltas should carry it
// already, but a stray minute must not open a row of its own.
func usageHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// unixCeil is t in Unix seconds rounded up, so that "hour >= from" and
// "hour < to" keep their meaning for bounds between whole seconds.
func unixCeil(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() != 0 {
		s++
	}
	return s
}
