// Package exportgen writes synthetic Stormpath tenant exports, of either
// generation (see package stormpath), for tests and for trying the
// importer: this project ships no third-party export, only what this
// generator makes. Everything is derived from a seed, so the same Spec
// writes the same files.
//
// It knows the plain texts behind what it writes (the accounts'
// passwords, the keys' secrets) and returns them as a Fixture, so a test
// can sign in and authenticate after an import.
package exportgen
