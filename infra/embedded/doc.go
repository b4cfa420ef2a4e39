// Package embedded runs minidyn's DynamoDB-compatible HTTP server inside
// the process, so the local server and the tests use the real
// aws-sdk-go-v2 client and the real wire protocol, with no store mocks and
// nothing to install. Pointing the same code at real DynamoDB only changes
// the endpoint.
package embedded
