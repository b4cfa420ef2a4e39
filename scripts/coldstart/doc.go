// Command coldstart measures the cold start of every function under
// ./functions against a hello-world aws-lambda-go function
// (testdata/hello), under the real Lambda Runtime Interface Emulator
// (infra/rie).
//
// Usage:
//
//	go run ./scripts/coldstart            # every function, 5 cold runs each
//	go run ./scripts/coldstart -n 9 -fn oauth,rotate
//	go run ./scripts/coldstart -top 8   # list 8 packages per function
//
// Each binary is built as template.yaml's build notes say SAM builds it
// (CGO_ENABLED=0, -trimpath -ldflags=-s -tags=lambda.norpc), for the host
// so it runs here. One embedded DynamoDB is seeded (infra/sample, as
// scripts/invoke does) and every function gets its variables; the first
// event is a sample from functions/<name>/testdata, filled with the seeded
// ids. Every run starts a fresh emulator, so every first invocation is
// cold; runs go round-robin over the functions, so a burst of load on the
// machine spreads over all of them rather than skewing one.
//
// Per function it prints the binary size and the medians over the runs
// of: package init (the sum of GODEBUG=inittrace=1's per-package times,
// from a start of the same binary outside the emulator with no Lambda
// variables, where it exits in main; inittrace's bookkeeping makes it
// read a little high); INIT (the emulator's "INIT REPORT" durationMs:
// exec of the bootstrap to its first request for an event), the first
// invocation (the rest of the cold request), the whole cold request (the
// "Duration" of the first invoke's REPORT line: the emulator execs the
// bootstrap only when that invoke arrives, so it spans INIT too), and the
// difference of that total to hello-world's. Each column is its own
// median, so INIT and first invoke need not add up to the total. The
// emulator adds about a millisecond to any invoke (hello-world's warm
// one reads about 1 ms). Below the table, for each function, it lists
// the -top packages by init time among those hello-world does not link,
// with their count and sum: where the function's extra package init
// goes. It prints figures only and asserts no time: the machine may be
// shared.
package main
