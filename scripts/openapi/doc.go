// Command openapi writes the OpenAPI 3.1 document of Keystorm's API,
// generated from the code (httpapi.OpenAPI), to infra/httpapi/openapi.json,
// the file the server embeds and serves at GET /openapi.json. Run it from
// the repository root after changing a route, a render type or a request
// body: go run ./scripts/openapi (or go generate ./infra/httpapi). A test
// fails while the committed file differs from what the code generates.
package main
