// Package datalock keeps two Keystorm processes from writing one local
// data directory at once: the local server (infra/local, through
// infra/stack) and the Stormpath importer (scripts/import-stormpath)
// each hold an exclusive lock on DIR/keystorm.lock for as long as they
// use DIR.
//
// Why: SQLite would serialize their commits, but the server keeps state
// beside the store that only its own commits update (the projector's
// usage plans, the authorizer's cache), so an import under a running
// server would be served stale until its next start; and two servers on
// one directory would each believe they own its signing keys and mail.
// A lock taken by both sides makes the second one refuse at once, with
// a message naming the directory, instead.
//
// The lock is SQLite's file lock (see Acquire), which the system drops
// when the process ends, however it ends: a crash never leaves a
// directory locked. It works wherever the local server does, without a
// file per operating system.
package datalock
