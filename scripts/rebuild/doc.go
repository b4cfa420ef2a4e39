// Command rebuild replays the event table into fresh read models.
//
// Why it exists: the event table is the source of truth and the views
// table is only its projection. When a projection bug is fixed, a new
// read-model attribute or index is added, or the views table is lost or
// damaged, this command recomputes every state item and uniqueness guard
// from the log (dynamo.Store.Rebuild), keeping the idempotency records,
// which are not derived from events. The same code path is proved equal
// to live projection by infra/dynamo's TestRebuildEqualsLive.
//
// With -store sqlite -data DIR it rebuilds the local server's database,
// DIR/keystorm.db, instead (sqlite.Store.Rebuild, proved equal to live
// projection by infra/sqlite's TestRebuildEqualsLive): the local server
// no longer replays at start, so a projection fix reaches its data only
// through this command.
//
// Usage:
//
//	DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go run ./scripts/rebuild
//	EVENTS_TABLE=prod-events VIEWS_TABLE=prod-views go run ./scripts/rebuild -yes
//	go run ./scripts/rebuild -store sqlite -data DIR
//
// Configuration comes from dynamo.ConfigFromEnv: EVENTS_TABLE,
// VIEWS_TABLE, AWS_REGION and DYNAMODB_ENDPOINT (a local server such as
// minidyn or DynamoDB Local; unset means real AWS, with the usual AWS
// credential chain). Against real AWS it refuses to run without -yes.
//
// Run it with writers stopped: it deletes and rewrites the views table
// item by item, so a concurrent command could be lost or see a half-built
// view. It prints what it did as one human-readable line and one JSON
// line (RebuildStats); the exit status is 1 on failure, 2 on bad usage.
package main
