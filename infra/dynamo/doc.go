// Package dynamo implements domain.Store on DynamoDB: an append-only events
// table and a views table holding the read models.
//
// Every command becomes one TransactWriteItems: the events are put with
// attribute_not_exists (no duplicate or lost events), each aggregate's
// state item is put conditionally on the version the command loaded
// (optimistic concurrency), uniqueness guards are put or deleted
// conditionally on their owner, referenced aggregates are condition-checked,
// and the idempotency record is put if absent. Either all of it lands or
// none of it, so a DynamoDB failure mid-command leaves no partial state and
// the read models always agree with the log.
//
// Views table layout (pk, sk):
//
//	kind#id          state     one state item per aggregate (also the read model);
//	                           a parent's "children" counts its live children
//	                           outside the versioned data (domain.Parent)
//	unique#<key>     guard     uniqueness guard, owner = kind#id
//	idem#<key>       idem      idempotency record, expiresAt for DynamoDB TTL
//	limit#<keyId>    limit     brute-force counters of releases before the
//	                           in-memory throttle; they expire by TTL, and a
//	                           rebuild leaves them alone
//	usage#<keyId>    hour#<h>  hourly verification counters of an API key (ADD
//	                           increments, expiresAt for TTL); a rebuild
//	                           leaves them alone
//	usage#<keyId>    last      when the key last verified (conditional raise)
//	jwks#current     jwks      the published public JWKS of the token signing
//	                           keys (PutJWKS, GetJWKS), never a private key
//
// State items carry gsi1pk/gsi1sk (and gsi2pk/gsi2sk for the second
// collection of a group membership) so collections are one Query each.
//
// Events table: (stream, version), plus tenant (the aggregate's, from the
// committed state) and logsk (fixed-width time#stream#version), which key
// the "log" index: a tenant's events newest first (EventLog). Rebuild
// fills both on events written before the index.
//
// The same code talks to real DynamoDB and to minidyn: only the endpoint
// differs (see NewClient).
package dynamo
