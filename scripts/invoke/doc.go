// Command invoke builds one Lambda function of this repository and invokes it
// once under the real Lambda Runtime Interface Emulator (package infra/rie),
// without Docker or SAM. It is the quickest way to see that a function binary
// starts, answers a real Runtime API, and how long its cold start takes.
//
// Usage:
//
//	go run ./scripts/invoke -fn apikeys -e events/samples/apikeys-get.json [-env K=V ...]
//	go run ./scripts/invoke -pkg ./infra/rie/testdata/echo -e - < event.json
//
// -fn NAME builds ./functions/NAME and sets AWS_LAMBDA_FUNCTION_NAME=NAME in
// the function's environment. -pkg builds any main package instead. -e names
// the event file ("-" reads stdin; the default is {}). Each -env K=V is added
// to the function's environment, which otherwise holds only PATH, the region
// defaults and what the emulator adds (see package rie); -inherit-env passes
// this shell's environment too. -logs prints the emulator's output (its log
// and the function's stdout and stderr) to stderr.
//
// The response body goes to stdout, and the cold start, from the emulator's
// INIT REPORT line, goes to stderr as "INIT REPORT durationMs: 5.29". The
// exit status is 1 if the build, the emulator or the invoke fails, or if
// the handler returned an error document ({"errorMessage": ...}). The
// status is 2 for bad usage.
//
// Only one emulator runs at a time on a machine (package rie holds a lock).
// invoke waits for a running test's emulator to finish, at most until
// -timeout.
package main
