// Package authctx is the contract between the authorizer and the functions
// behind it: the names and encoding of the authorizer context that API
// Gateway passes to backends in requestContext.authorizer.
//
// API Gateway only forwards string, number and boolean context values, and
// HTTP APIs stringify them, so everything here is a string. The context
// never holds a secret.
package authctx
