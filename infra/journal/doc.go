// Package journal keeps the local server's event log in a file, so that
// `go run ./infra/local -data DIR` survives restarts although the embedded
// DynamoDB lives in memory.
//
// Every committed event is appended to DIR/events.jsonl after its
// transaction succeeds. At start the file is loaded into the event table
// and the read models are rebuilt from it: the same rebuild path that
// repairs a deployed stack runs on every local restart.
//
// The journal serves the -store dynamodb fidelity runs only. The local
// server's default store, SQLite, keeps DIR/keystorm.db and replays
// nothing; it reads an events.jsonl (through Read) once, to import the
// data of a server that ran before it.
package journal
