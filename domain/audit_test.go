package domain_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Every frozen event, as the audit log shows it, holds no hash, secret,
// password or token: the fixtures carry real-looking ones (SHA-256 hex,
// argon2id PHC strings, refresh token hashes, an old plain verification
// token), and none may survive Redact. Fields that say nothing secret
// stay.
func TestRedactFrozenEvents(t *testing.T) {
	files, err := filepath.Glob("../events/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	hexHash := regexp.MustCompile(`[0-9a-f]{64}`)
	kept := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var env events.Envelope
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		red := domain.Redact(env.Data)
		out, _ := json.Marshal(red)
		s := string(out)
		if hexHash.MatchString(s) || strings.Contains(s, "$argon2") || strings.Contains(strings.ToLower(s), "secret") ||
			strings.Contains(strings.ToLower(s), "password") || strings.Contains(strings.ToLower(s), "hash") {
			t.Errorf("%s: redacted data still holds a secret: %s", filepath.Base(f), s)
		}
		kept += len(red)
	}
	if kept == 0 {
		t.Fatal("Redact kept nothing at all")
	}
	// A token's lifetime is no secret; nested fields are redacted too.
	got := domain.Redact(json.RawMessage(`{"accessTokenTtl":3600,"set":{"apiToken":"x","color":"red"},"list":[{"secretHash":"y","n":1}]}`))
	b, _ := json.Marshal(got)
	if string(b) != `{"accessTokenTtl":3600,"list":[{"n":1}],"set":{"color":"red"}}` {
		t.Fatalf("redacted %s", b)
	}
}
