// Package importer lands a Stormpath export (read by package stormpath)
// in a Keystorm tenant through the domain's import commands
// (domain/import.go), and sums up what became of every item.
//
// Why a package apart from the command: the command
// (scripts/import-stormpath) only opens the store, takes the data
// directory's lock and picks the tenant; this is the part the tests run
// end to end, against the real domain service over a real store, on
// exports of both generations.
//
// Order: directories, then groups (they live in directories, and an
// application may map a group as an account store), then applications
// with their mappings, then the accounts, streamed one file at a time,
// each followed by its API keys and its memberships. An item that
// cannot land is reported with its file, its id and the reason, and the
// rest goes on; only a store that stops answering ends the run.
package importer
