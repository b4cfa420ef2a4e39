package journal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/journal"
)

// TestReplayAfterRestartAndTornLine writes through the journal, simulates
// a crash in the middle of a later write, and replays into a fresh store.
func TestReplayAfterRestartAndTornLine(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "events.jsonl")
	h := embedded.New(t)
	j, err := journal.Open(h.Store, file)
	if err != nil {
		t.Fatal(err)
	}
	svc := domain.NewService(j)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	// A crash mid-write leaves half a line.
	f, _ := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"stream":"apikey#X","version":1,"ty`)
	f.Close()

	fresh := embedded.New(t)
	n, err := journal.Load(ctx, fresh.Store, file)
	if err != nil || n != 5 {
		t.Fatalf("loaded %d events: %v", n, err)
	}
	auth := &domain.KeyAuthenticator{Store: fresh.Store, Clock: domain.ClockFunc(time.Now)}
	if p, err := auth.Authenticate(ctx, boot.AdminKey.ID, boot.AdminSecret); err != nil || !p.Admin {
		t.Fatalf("admin key after replay: %v", err)
	}
	// Reopening cuts the torn line, so new appends start on a clean line.
	j2, err := journal.Open(fresh.Store, file)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	data, _ := os.ReadFile(file)
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatal("torn line not trimmed")
	}
}

func TestDamageBeforeTheLastLineIsAnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "events.jsonl")
	good := `{"stream":"tenant#T","version":1,"type":"tenant.created.v1","at":"2026-11-26T10:00:00Z","data":{"id":"T","name":"x"},"meta":{}}`
	if err := os.WriteFile(file, []byte(good+"\n{\"stream\":\"garbage\n"+good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Load(context.Background(), embedded.New(t).Store, file); err == nil {
		t.Fatal("a damaged line in the middle was skipped silently")
	}
}
