// Package events is Keystorm's persisted contract: the envelope stored in the
// event table and one Go type per event.
//
// The event log is the source of truth and outlives every deployment, so the
// types here change only by addition. Each event carries an explicit,
// versioned type name (for example "apikey.created.v1") that is written next
// to its JSON; names are never derived by reflection, so renaming a Go type
// can never orphan stored events. A change that would alter the meaning or
// shape of an existing field gets a new name (".v2") and a new type, and the
// old one stays decodable: frozen JSON of every version lives in testdata and
// is decoded by the tests forever.
//
// This package imports only the standard library.
package events
