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

// eventScanBudget bounds the rows one filtered Events call reads. Types
// and Actor are not in the events_log index, so a rare match would
// otherwise walk a tenant's whole range (every login is an event); at
// the budget the call returns what it found with a Next past the last
// row read. A variable only so that a test can shrink it.
var eventScanBudget = 1000

// Events implements domain.EventLog. The rows are read in the order of
// the events_log index (tenant, atkey, stream, version) backwards, with
// the stream and time range in the index range; the cursor is a row's
// key, resumed with a row-value comparison on the same columns, so pages
// neither skip nor repeat. Types and Actor are judged per row read, and
// reads stop at eventScanBudget, so a filtered page may be short with a
// Next. Without them one row past the page is read, so Next is empty
// exactly on the last page.
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
	// hit is whether a row read passes the filters the index cannot.
	hit, hitArgs := []string{"1"}, []any{}
	if len(q.Types) > 0 {
		types, err := json.Marshal(q.Types)
		if err != nil {
			return domain.EventPage{}, err
		}
		hit = append(hit, "type IN (SELECT value FROM json_each(?))")
		hitArgs = append(hitArgs, string(types))
	}
	if q.Actor != "" {
		hit = append(hit, "json_extract(meta, '$.actor') IS ?")
		hitArgs = append(hitArgs, q.Actor)
	}
	scan := limit + 1
	if len(hitArgs) > 0 {
		scan = max(eventScanBudget, scan)
	}
	where := []string{"tenant = ?"}
	args := []any{q.Tenant}
	if q.Stream != "" {
		where = append(where, "stream = ?")
		args = append(args, q.Stream)
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
	order := " ORDER BY atkey DESC, stream DESC, version DESC"
	rows, err := st.db.QueryContext(ctx, "SELECT stream, version, type, at, data, meta, atkey, "+strings.Join(hit, " AND ")+
		" FROM (SELECT stream, version, type, at, data, meta, atkey FROM events WHERE "+strings.Join(where, " AND ")+order+" LIMIT ?)"+order,
		append(append(hitArgs, args...), scan)...)
	if err != nil {
		return domain.EventPage{}, storeErr(err)
	}
	defer rows.Close()
	var page domain.EventPage
	var last, read logpos.Position
	n := 0
	for rows.Next() {
		var ok bool
		env, atkey, err := scanEvent(rows, &ok)
		if err != nil {
			return domain.EventPage{}, err
		}
		if len(page.Events) == limit {
			// A row past the full page: go on after its last event.
			page.Next = last.Encode()
			return page, nil
		}
		n++
		read = logpos.Position{Tenant: q.Tenant, At: atkey, Stream: env.Stream, Version: env.Version}
		if ok {
			page.Events = append(page.Events, env)
			last = read
		}
	}
	if err := rows.Err(); err != nil {
		return domain.EventPage{}, storeErr(err)
	}
	if n == scan {
		// The budget ran out: the rows beyond it are unread.
		page.Next = read.Encode()
	}
	return page, nil
}

// scanEvent reads a row of stream, version, type, at, data, meta and
// atkey, and then of extra, if any.
func scanEvent(rows *sql.Rows, extra ...any) (events.Envelope, string, error) {
	var env events.Envelope
	var at, data, meta, atkey string
	if err := rows.Scan(append([]any{&env.Stream, &env.Version, &env.Type, &at, &data, &meta, &atkey}, extra...)...); err != nil {
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
