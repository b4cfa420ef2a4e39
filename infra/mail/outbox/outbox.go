package outbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// Outbox keeps messages in Dir, or in memory when Dir is "".
type Outbox struct {
	Dir   string
	From  string // the sender address, e.g. "Keystorm <no-reply@keystorm.local>"
	Clock domain.Clock
	Log   *slog.Logger

	mu     sync.Mutex
	memory [][]byte
}

// New returns an outbox writing into dir ("" for memory).
func New(dir, from string, clock domain.Clock, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.Default()
	}
	return &Outbox{Dir: dir, From: from, Clock: clock, Log: log}
}

// Send implements domain.Mailer.
func (o *Outbox) Send(_ context.Context, m domain.Message) error {
	if !m.Valid() {
		return errors.New("outbox: invalid message")
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("outbox: recipient: %w", err)
	}
	now := o.Clock.Now().UTC()
	id := strings.ToLower(rand.Text()[:16])
	msg := render(o.From, m, now, id)
	if o.Dir == "" {
		o.mu.Lock()
		o.memory = append(o.memory, msg)
		o.mu.Unlock()
		o.Log.Info("mail kept in memory (no -data directory)", "messageId", id)
		return nil
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	path := filepath.Join(o.Dir, now.Format("20060102T150405.000000000Z")+"-"+id+".eml")
	// 0600: the message holds a one-time token for someone's account.
	if err := os.WriteFile(path, msg, 0o600); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.Log.Info("mail written to the outbox", "path", path, "messageId", id)
	return nil
}

// Messages returns the messages kept in memory, oldest first.
func (o *Outbox) Messages() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([][]byte, len(o.memory))
	copy(out, o.memory)
	return out
}

// render writes an RFC 5322 message with a UTF-8 plain-text body. Header
// values are encoded (RFC 2047) so that any subject stays one header.
func render(from string, m domain.Message, at time.Time, id string) []byte {
	var b strings.Builder
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", from)
	h("To", m.To)
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", at.Format(time.RFC1123Z))
	h("Message-ID", "<"+id+"@keystorm.local>")
	h("MIME-Version", "1.0")
	h("Content-Type", `text/plain; charset="utf-8"`)
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n"))
	if !strings.HasSuffix(m.Text, "\n") {
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}
