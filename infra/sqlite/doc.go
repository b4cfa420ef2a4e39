// Package sqlite implements domain.Store on embedded SQLite
// (modernc.org/sqlite: pure Go, no cgo, so the local server stays one
// static binary that cross-compiles like the rest).
//
// Why a second store: the local server needs a store that starts at once,
// from a file under its -data directory, without replaying a journal, and
// stays fast at 100k keys. minidyn, the in-process DynamoDB, copies whole
// tables on every transaction, so it cannot be that default. This store
// is the local server's default (infra/stack); the deployed functions stay
// on DynamoDB (infra/dynamo), and minidyn keeps serving DynamoDB's
// fidelity runs (-store dynamodb). Both stores pass the same contract,
// infra/dynamo/storetest, so a request that passes locally passes
// deployed.
//
// It mirrors the DynamoDB store table for table (see schema.go):
//
//	events       (stream, version) → type, at, data, meta,  append-only log
//	             tenant, atkey (events_log: a tenant's log)
//	states       stream → kind, tenant, version, deleted, data, children,
//	             coll1, coll2, sortkey                       read models
//	guards       key → owner                                 uniqueness guards
//	idempotency  key → fingerprint, result, at, expires_at   Idempotency-Key records
//	usage_hours  (key_id, hour) → tenant, succeeded, failed  verification counts
//	usage_last   key_id → tenant, last_used                  last successful use
//
// The usage tables (usage.go, domain.UsageStore) are outside the event
// log: AddUsage increments them with UPSERTs in one transaction, a
// rebuild leaves them alone, and hours past domain.UsageRetention are
// pruned by the writes themselves, as SQLite has no TTL.
//
// Every Commit is one SQL transaction begun IMMEDIATE (commits serialize
// on SQLite's write lock; readers carry on under WAL). Its statements are
// the DynamoDB transaction's items, in the same order and under the same
// conditions: events inserted only if their version is free, each state
// row written only at the version its command loaded, guards taken only
// if free or already the owner's, checks, child counts (domain.ChildDeltas)
// and the idempotency record only if absent or expired. The first failed
// condition rolls everything back and answers the same domain error the
// DynamoDB store would, so a refused commit writes nothing.
//
// Rebuild replays the log into the read models through the same domain
// projection (domain.Fold, domain.ChildCounts) as the DynamoDB rebuild, in
// one transaction. Import loads a log written elsewhere (the local
// server's events.jsonl from before) into an empty store the same way.
//
// Open(ctx, "") (or ":memory:") gives a private in-memory database on a
// single connection, for tests; Open(ctx, DIR+"/keystorm.db") a WAL file.
package sqlite
