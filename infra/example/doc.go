// Package example is the guide's protected API: GET
// /troopers/{id}/equipment, a plain net/http handler that API Gateway
// reaches only through the Keystorm authorizer.
//
// It exists to show a provider the whole contract from the backend's side,
// in one small file: the function is wrapped by aws-lambda-go-api-proxy's
// httpadapter (ProxyWithContext, behind httpapi.Proxy, which refuses paths
// the library cannot take), reads the API Gateway request context from
// the request's context.Context, and decodes the authorizer's context with
// infra/authctx. It trusts only that context, never a request header: the
// proxy's non-context mode copies the API Gateway context into a header
// (X-GoLambdaProxy-ApiGw-Context) that a client could forge, so
// CallerIdentity does not look there. The caller's accountHref is the
// authorizer's, built from the configured public base URL or from what
// API Gateway sets, never from the Host header.
//
// Every request without a valid authorizer context is refused with 401
// before routing, so a function deployed without its authorizer serves
// nothing, not even a 404. Errors use the API's one error shape through
// infra/httpapi.WriteError.
package example
