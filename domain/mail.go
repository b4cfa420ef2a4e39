package domain

import (
	"context"
	"strings"
)

// Mailer sends a message to one person: the port behind password resets,
// email verification and their confirmations. Deployed it is Amazon SES
// (infra/mail/ses); locally each message is an RFC 5322 file in an
// outbox (infra/mail/outbox), so a developer can open the link.
//
// A message carries one-time tokens, so no implementation logs its body
// or subject; they log where the message went.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is one plain-text mail. Text is the whole body: links are
// written out, since a plain-text part is what every client shows.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Valid reports a message that can be sent: one recipient address with
// no line breaks (which would let a value smuggle in headers) and a
// subject on one line.
func (m Message) Valid() bool {
	if m.To == "" || m.Subject == "" || strings.ContainsAny(m.To, "\r\n,;") || strings.ContainsAny(m.Subject, "\r\n") {
		return false
	}
	return strings.Count(m.To, "@") == 1
}
