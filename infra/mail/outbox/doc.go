// Package outbox is the local server's domain.Mailer: every message is
// written as an RFC 5322 file (DIR/outbox/<time>-<id>.eml) that a mail
// client opens as is, or kept in memory when the server has no data
// directory. A log line says where a message went, never what it says:
// messages carry one-time tokens.
package outbox
