package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/logpos"
)

var _ domain.EventLog = (*Store)(nil)

// Stream implements domain.EventLog: one range of the primary key,
// which is (stream, version), so the rows come in version order.
func (st *Store) Stream(ctx context.Context, stream string) ([]events.Envelope, error) {
	rows, err := st.db.QueryContext(ctx, "SELECT stream, version, type, at, data, meta, atkey FROM events WHERE stream = ? ORDER BY version", stream)
	if err != nil {
		return nil, storeErr(err)
	}
	defer rows.Close()
	var out []events.Envelope
	for rows.Next() {
		env, _, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, env)
	}
	return out, storeErr(rows.Err())
}

// Events implements domain.EventLog. Every filter is part of the SQL,
// so a page is full whenever enough events match; its order is the
// events_log index's (tenant, atkey, stream, version) read backwards,
// and the cursor is the last row's key, resumed with a row-value
// comparison on the same columns, so pages neither skip nor repeat.
// It reads one row past the page to know whether there is more, so Next
// is empty exactly on the last page.
func (st *Store) Events(ctx context.Context, q domain.EventQuery) (domain.EventPage, error) {
	limit := logpos.Limit(q.Limit)
	var after logpos.Position
	if q.After != "" {
		p, err := logpos.Decode(q.Tenant, q.After)
		if err != nil {
			return domain.EventPage{}, err
		}
		if p.At == "" {
			// Only a one-stream DynamoDB listing leaves At out.
			return domain.EventPage{}, domain.ErrBadCursor
		}
		after = p
	}
	if q.Tenant == "" {
		return domain.EventPage{}, nil
	}
	where := []string{"tenant = ?"}
	args := []any{q.Tenant}
	if q.Stream != "" {
		where = append(where, "stream = ?")
		args = append(args, q.Stream)
	}
	if len(q.Types) > 0 {
		types, err := json.Marshal(q.Types)
		if err != nil {
			return domain.EventPage{}, err
		}
		where = append(where, "type IN (SELECT value FROM json_each(?))")
		args = append(args, string(types))
	}
	if q.Actor != "" {
		where = append(where, "json_extract(meta, '$.actor') = ?")
		args = append(args, q.Actor)
	}
	if !q.From.IsZero() {
		where = append(where, "atkey >= ?")
		args = append(args, logpos.AtKey(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "atkey < ?")
		args = append(args, logpos.AtKey(q.To))
	}
	if q.After != "" {
		where = append(where, "(atkey, stream, version) < (?, ?, ?)")
		args = append(args, after.At, after.Stream, after.Version)
	}
	args = append(args, limit+1)
	rows, err := st.db.QueryContext(ctx, "SELECT stream, version, type, at, data, meta, atkey FROM events WHERE "+
		strings.Join(where, " AND ")+" ORDER BY atkey DESC, stream DESC, version DESC LIMIT ?", args...)
	if err != nil {
		return domain.EventPage{}, storeErr(err)
	}
	defer rows.Close()
	var page domain.EventPage
	var last logpos.Position
	for rows.Next() {
		env, atkey, err := scanEvent(rows)
		if err != nil {
			return domain.EventPage{}, err
		}
		if len(page.Events) == limit {
			// A row past the page: there is more, after the last one.
			page.Next = last.Encode()
			break
		}
		page.Events = append(page.Events, env)
		last = logpos.Position{Tenant: q.Tenant, At: atkey, Stream: env.Stream, Version: env.Version}
	}
	if err := rows.Err(); err != nil {
		return domain.EventPage{}, storeErr(err)
	}
	return page, nil
}

// scanEvent reads a row of stream, version, type, at, data, meta and
// atkey.
func scanEvent(rows *sql.Rows) (events.Envelope, string, error) {
	var env events.Envelope
	var at, data, meta, atkey string
	if err := rows.Scan(&env.Stream, &env.Version, &env.Type, &at, &data, &meta, &atkey); err != nil {
		return env, "", storeErr(err)
	}
	var err error
	if env.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return env, "", fmt.Errorf("event %s v%d: bad time: %w", env.Stream, env.Version, err)
	}
	if err := json.Unmarshal([]byte(meta), &env.Meta); err != nil {
		return env, "", fmt.Errorf("event %s v%d: bad meta: %w", env.Stream, env.Version, err)
	}
	env.Data = json.RawMessage(data)
	return env, atkey, nil
}
