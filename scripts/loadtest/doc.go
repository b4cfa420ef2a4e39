// Command loadtest measures request throughput against a Keystorm server on
// this machine: N requests over C connections, then requests per second,
// latency percentiles and status counts. It is bounded in count and time
// and refuses non-loopback targets, so it can only ever load our own
// server.
//
//	go run ./scripts/loadtest -url http://127.0.0.1:3000/oauth/token \
//	    -user KEYID:SECRET -form 'grant_type=client_credentials' -n 5000 -c 16
package main
