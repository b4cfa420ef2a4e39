// Package domain holds Keystorm's rules: the aggregates (tenant, application
// with its directory, account, group, group membership and API key; the
// first four each with customData, see customdata.go), the commands that
// change them, and the ports that storage adapters implement.
//
// Every command follows the same shape: load the current state of the
// aggregates it touches (one state item each, never a replay of the whole
// stream, so a command costs the same at 10 or 10,000 events), validate,
// produce events, apply them to a copy of the state, and hand the result to
// the Store as a single Commit. The Store appends the events conditionally on
// the expected stream version and writes the new state into the read model in
// the same transaction, so callers read their own writes.
//
// Login (login.go) is the one command that mostly reads: it appends an
// event only when the caller showed the account's right password, so that
// a wrong password costs exactly what an unknown name costs.
//
// Apply never validates: events record facts that were already checked, and
// old events must always replay. The clock, ID generator, randomness and
// password hasher are injected so tests are deterministic.
//
// domain imports only the standard library, events and golang.org/x/crypto:
// never AWS, Lambda or net/http (a test enforces this).
package domain
