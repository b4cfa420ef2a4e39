// Package gateway plays API Gateway (REST API) on a laptop and in tests.
//
// It matches the request against the routes declared in template.yaml,
// calls the Lambda authorizer with a real REQUEST authorizer event, applies
// the returned IAM policy, and calls the route's function handler with a
// real APIGatewayProxyRequest carrying the authorizer context, just as API
// Gateway does when deployed. The handlers are the very functions the
// Lambda binaries start, so a request that passes here exercises the same
// code as one that passes on AWS; and because the routes come from the
// template, local routes and deployed routes cannot drift.
//
// A path holding a control character, a line separator, invalid UTF-8 or
// a '%' left after decoding is refused with 400 before routing, as the
// functions themselves refuse it (httpapi.Proxy): it would otherwise reach
// a function's proxy library, which fails on it and prints it raw. The
// functions see requestContext.domainName set from DomainName, the API's
// public host, never from the client's Host header.
//
// Not emulated: API Gateway's own authorizer result cache (the authorizer's
// in-Lambda cache still applies), throttling, and request validation.
package gateway
