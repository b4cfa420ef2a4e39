package httpapi

import "net/http"

// What other HTTP front ends of the same functions (the developer
// console, infra/console) must read exactly as the API does: one
// definition, so a console page and an API answer never disagree on the
// public URL, the request id or the client's address.

// BaseURL is the public base URL of the request (see baseURL): the
// configured one, or API Gateway's domain and stage; never a header.
func BaseURL(r *http.Request) string { return baseURL(r) }

// RequestID is API Gateway's request id, or the one withRequestID set.
func RequestID(r *http.Request) string { return requestID(r) }

// SourceAddr is the client's address as API Gateway saw it.
func SourceAddr(r *http.Request) string { return sourceAddr(r) }
