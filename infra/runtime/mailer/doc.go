// Package mailer wires the accounts function's domain.Mailer: Amazon SES
// v2 (infra/mail/ses) sending as MAIL_FROM, the template's MailFromAddress
// parameter. It is a package of its own so that only the accounts
// function links the SES client (see runtime's package comment on cold
// starts).
package mailer
