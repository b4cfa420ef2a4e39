// Package storetest is the one contract suite for the domain.Store port.
//
// Why it exists: the domain relies on promises that no type signature can
// state — a stale expected version is refused, a taken unique key is
// refused, a failed commit writes nothing at all, collections come back in
// creation order, a child needs a live parent and a parent goes only with
// all its children (the child counts of domain.Parent). Writing those promises down once, as an exported suite
// in the style of hallgren/eventsourcing's core/testsuite, means every
// Store implementation (DynamoDB today; any other backend later) is held
// to exactly the same rules by running
//
//	storetest.Run(t, func(t *testing.T) domain.Store { ... })
//
// from its own tests. The suite builds states with the real domain types
// and events (events.Encode, then Apply), never with fakes, so it also
// checks that what the domain folds is what the store keeps.
//
// A store that can also show its whole contents implements Dumper; the
// suite then checks "nothing written" item by item across every table,
// not only through the port.
//
// LargestStates builds the largest state of each kind with customData
// that the rules allow, so that the suite commits them on every store and
// DynamoDB's tests measure their items against its 400 KB limit: the
// reason for domain.MaxCustomDataBytes, checked rather than asserted.
// RunUsage is the contract of the domain.UsageStore port (per-key hourly
// verification counts and last use): increments that add up under
// concurrent flushes, hour ranges oldest first with bounds [from, to),
// and a last-used time that only rises.
//
// Workload drives the service with a random mix of every command, for the
// stores' rebuild-equals-live tests.
package storetest
