// Package ses is the deployed domain.Mailer: Amazon SES v2's SendEmail
// with a plain-text body, from the verified identity the stack is given
// (template parameter MailFromAddress). The function's role may send
// only as that identity.
package ses
