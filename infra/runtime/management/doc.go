// Package management is the whole wiring of the five management
// functions (tenants, applications, accounts, groups, apikeys): each
// main.go is one call to Serve, so they cannot drift apart.
package management
