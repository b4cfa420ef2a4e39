// Package httpapi is Keystorm's management API as plain net/http handlers,
// one per resource family (tenants, applications, accounts, groups, API
// keys), so each Lambda function serves only its own routes while the local
// server and the tests drive exactly the same code.
//
// It speaks the Stormpath REST+JSON dialect (absolute hrefs, {href} links,
// collections with offset/limit/size/items, 201 + Location on create, POST
// to update, 204 on delete) closely enough for Stormpath's own SDKs; see
// scripts/sdkcheck/PROTOCOL.md for the facts it is built to.
//
// Errors become HTTP in exactly one place (WriteError). Clients get the
// domain error's public message and stable code, never internal text.
//
// The OpenAPI 3.1 document of the whole API is generated from this
// package's code (openapi.go: the operation table of openapi_ops.go, the
// render types, the request body types of bodies.go, which the parsers
// declare), committed as openapi.json and served at GET /openapi.json, so
// tests can hold routers, handlers and document to one another.
//
// The caller's identity comes from the API Gateway authorizer context, read
// through aws-lambda-go-api-proxy; a request without it is refused.
package httpapi
