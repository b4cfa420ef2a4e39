// Package journal keeps the local server's event log in a file, so that
// `go run ./infra/local -data DIR` survives restarts although the embedded
// DynamoDB lives in memory.
//
// Every committed event is appended to DIR/events.jsonl after its
// transaction succeeds. At start the file is loaded into the event table
// and the read models are rebuilt from it: the same rebuild path that
// repairs a deployed stack runs on every local restart.
package journal
