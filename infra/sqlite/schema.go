package sqlite

// schemaVersion is stored in PRAGMA user_version. A database written by a
// newer binary (a higher version) is refused rather than misread.
const schemaVersion = 3

// schema is the whole database. Every statement is idempotent, so Open
// runs it on new and existing files alike.
//
// Why these shapes:
//   - events is keyed by (stream, version): an append whose version
//     exists violates the key, which is the optimistic-concurrency check
//     of the event log itself. WITHOUT ROWID stores rows in key order, so
//     a stream reads back in version order.
//   - states holds one row per aggregate, the read model. The child count
//     (children) is a column beside data, not inside it, so commits adjust
//     it without rewriting or conflicting on the state (see domain.Parent);
//     it is NULL for aggregates that are not parents.
//   - coll1/coll2 are the (at most two) collections of a live aggregate
//     and sortkey its place in them; the partial indexes serve List as an
//     index range in creation order, and COUNT(*) over the same range. A
//     tombstone has no collections, so it leaves the indexes.
//   - sizes holds each non-empty collection's item count, kept by every
//     commit in its own transaction, so a page's total is one row read
//     rather than a COUNT(*) that grows with the collection (version 2;
//     Open fills it from states on a version 1 file).
//   - states_sweeps holds only deleted parents with children left: the
//     pending sweeps (Store.Sweeps), found without reading the others.
//     It is derived, so older files just gain it.
//   - events carries its tenant (the tenant of the stream's aggregate,
//     taken from the committed state, never from Meta: sweeps write an
//     empty Meta) and atkey, the event time as a fixed-width UTC key
//     (logpos.AtKey): "at" is RFC3339Nano, which trims trailing zeros
//     and so does not sort as text. events_log serves a tenant's log
//     newest first as one index range (version 3; Open adds both
//     columns to an older file and fills them, see eventColumns).
//   - guards and idempotency are keyed by their key, the uniqueness the
//     DynamoDB store gets from conditional puts on its views table.
const schema = `
CREATE TABLE IF NOT EXISTS events (
	stream  TEXT    NOT NULL,
	version INTEGER NOT NULL,
	type    TEXT    NOT NULL,
	at      TEXT    NOT NULL,
	data    TEXT    NOT NULL,
	meta    TEXT    NOT NULL,
	tenant  TEXT    NOT NULL DEFAULT '',
	atkey   TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (stream, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS states (
	stream   TEXT    NOT NULL PRIMARY KEY,
	kind     TEXT    NOT NULL,
	tenant   TEXT    NOT NULL,
	version  INTEGER NOT NULL,
	deleted  INTEGER NOT NULL,
	data     TEXT    NOT NULL,
	children INTEGER,
	coll1    TEXT,
	coll2    TEXT,
	sortkey  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS states_coll1 ON states (coll1, sortkey, stream) WHERE coll1 IS NOT NULL;
CREATE INDEX IF NOT EXISTS states_coll2 ON states (coll2, sortkey, stream) WHERE coll2 IS NOT NULL;
CREATE INDEX IF NOT EXISTS states_sweeps ON states (stream) WHERE deleted = 1 AND children > 0;

CREATE TABLE IF NOT EXISTS sizes (
	collection TEXT    NOT NULL PRIMARY KEY,
	n          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS guards (
	key   TEXT NOT NULL PRIMARY KEY,
	owner TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS idempotency (
	key            TEXT    NOT NULL PRIMARY KEY,
	fingerprint    TEXT    NOT NULL,
	result_kind    TEXT    NOT NULL,
	result_id      TEXT    NOT NULL,
	result_version INTEGER NOT NULL,
	at             TEXT    NOT NULL,
	expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
`

// countSizes writes every collection's size from the states table, into
// an empty sizes table: for a rebuild, and for a file written before
// sizes existed.
const countSizes = `
INSERT INTO sizes (collection, n)
	SELECT coll, COUNT(*) FROM (
		SELECT coll1 AS coll FROM states WHERE coll1 IS NOT NULL
		UNION ALL
		SELECT coll2 FROM states WHERE coll2 IS NOT NULL
	) GROUP BY coll`

// eventIndexes runs after the migration, which adds the columns it
// indexes to a file written before version 3.
const eventIndexes = `
CREATE INDEX IF NOT EXISTS events_log ON events (tenant, atkey, stream, version);
`

// eventColumns are the events columns version 3 added, with their
// definitions: ALTER TABLE has no IF NOT EXISTS, so Open adds the ones
// table_info does not list. They are last in a new table too, so old and
// new files have the same column order.
var eventColumns = []struct{ name, def string }{
	{"tenant", "TEXT NOT NULL DEFAULT ''"},
	{"atkey", "TEXT NOT NULL DEFAULT ''"},
}

// fillEventTenants sets each event's tenant to its stream's state's:
// every stream has a state row, and the state's tenant is the
// aggregate's. It touches only rows that differ, so it is idempotent; a
// rebuild runs it too, which is how Import fills tenants.
const fillEventTenants = `
UPDATE events SET tenant = (SELECT s.tenant FROM states s WHERE s.stream = events.stream)
	WHERE EXISTS (SELECT 1 FROM states s WHERE s.stream = events.stream AND s.tenant <> events.tenant)`

// fillEventAtKeys writes atkey for rows without one (a version 2 file)
// from at, which insertEvent always wrote as UTC RFC3339Nano:
// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" becomes the same second with the
// fraction right-padded to nine digits, exactly logpos.AtKey.
const fillEventAtKeys = `
UPDATE events SET atkey = substr(at, 1, 19) || '.' || substr(
		CASE WHEN instr(at, '.') > 0 THEN substr(at, instr(at, '.') + 1, length(at) - instr(at, '.') - 1) ELSE '' END || '000000000',
		1, 9) || 'Z'
	WHERE atkey = ''`
