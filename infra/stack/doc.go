// Package stack wires the whole Keystorm API in one process: the store
// (embedded SQLite by default; embedded minidyn or a DynamoDB endpoint for
// fidelity runs, see Options.Store), the domain service, every
// function's handler, the authorizer and the gateway that routes by
// template.yaml. The local server is this package plus flags; the
// end-to-end tests use it directly, so they drive exactly what a developer
// runs.
package stack
