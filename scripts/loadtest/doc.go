// Command loadtest measures request throughput against a Keystorm server on
// this machine: N requests over C connections, then requests per second,
// latency percentiles and status counts. It is bounded in count and time
// and refuses non-loopback targets, so it can only ever load our own
// server.
//
// One target:
//
//	go run ./scripts/loadtest -url http://127.0.0.1:3000/oauth/token \
//	    -user KEYID:SECRET -form 'grant_type=client_credentials' -n 5000 -c 16
//
// The suite: the no-auth route, token issue, and the protected API with
// Basic and with Bearer, one after the other in one run, each with its
// ratio to the no-auth route. Ratios from one run on one machine compare;
// absolute figures from different runs on a shared machine do not.
//
//	go run ./scripts/loadtest -suite http://127.0.0.1:3000 \
//	    -admin "$(grep '^{' /tmp/keystorm.out)" -n 5000 -c 50
package main
