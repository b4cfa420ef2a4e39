// Package mail holds the adapters of domain.Mailer: outbox (a local
// directory of .eml files, or memory) and ses (Amazon SES v2). Each is
// its own package so that a function binary links only the one it uses:
// the SES client's package init costs every cold start, and the outbox
// is no use in Lambda.
package mail
