package outbox_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/mail/outbox"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var at = fixedClock{time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}

const token = "rst_9f8e7d6c5b4a"

var msg = domain.Message{
	To:      "tk421@galacticempire.co",
	Subject: "Réinitialiser votre mot de passe",
	Text:    "Open this link to choose a new password:\nhttps://keystorm.local/reset#" + token + "\n",
}

// A message lands as one .eml file a mail reader parses: the headers, a
// UTF-8 subject, the body with CRLF line ends, readable by its owner
// only; the log says where it went, never the token.
func TestOutboxWritesEML(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	var logs bytes.Buffer
	o := outbox.New(dir, "Keystorm <no-reply@keystorm.local>", at, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err := o.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	fi, err := os.Stat(files[0])
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(files[0])
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mimeDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject || m.Header.Get("To") != msg.To || !strings.Contains(m.Header.Get("Content-Type"), "utf-8") {
		t.Fatalf("headers %v (subject %q)", m.Header, subject)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(at.t) {
		t.Fatalf("date %v %v", d, err)
	}
	body, _ := io.ReadAll(m.Body)
	if string(body) != strings.ReplaceAll(msg.Text, "\n", "\r\n") {
		t.Fatalf("body %q", body)
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "mot de passe") || !strings.Contains(logs.String(), files[0]) {
		t.Fatalf("log %s", logs.String())
	}
}

// Without a directory, messages stay in memory, in order.
func TestOutboxInMemory(t *testing.T) {
	o := outbox.New("", "no-reply@keystorm.local", at, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 2 {
		if err := o.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := o.Messages(); len(got) != 2 || !bytes.Contains(got[1], []byte(token)) {
		t.Fatalf("%d messages", len(got))
	}
}

// A recipient or subject that would add a header is refused, and nothing
// is written.
func TestOutboxRefusesHeaderInjection(t *testing.T) {
	dir := t.TempDir()
	o := outbox.New(dir, "no-reply@keystorm.local", at, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, m := range []domain.Message{
		{To: "tk421@galacticempire.co\r\nBcc: vader@galacticempire.co", Subject: "s", Text: "t"},
		{To: "tk421@galacticempire.co", Subject: "s\r\nBcc: vader@galacticempire.co", Text: "t"},
		{To: "a@b.co, c@d.co", Subject: "s", Text: "t"},
		{To: "not an address", Subject: "s", Text: "t"},
		{To: "", Subject: "s", Text: "t"},
	} {
		if err := o.Send(context.Background(), m); err == nil {
			t.Errorf("%q / %q accepted", m.To, m.Subject)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("wrote %d files", len(entries))
	}
}
