package runtime

import (
	"bytes"
	"encoding/json"
	"log"
	"log/slog"
	"strings"
	"testing"
)

func TestLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"": slog.LevelInfo, "DEBUG": slog.LevelDebug, " warning ": slog.LevelWarn, "error": slog.LevelError, "loud": slog.LevelInfo} {
		if got := Level(in); got != want {
			t.Errorf("Level(%q) = %v, want %v", in, got, want)
		}
	}
}

// What libraries print with the standard log package (the proxy library
// logs conversion errors with log.Println, aws-lambda-go its error
// reports with log.Printf) comes out as one JSON line, the request bytes
// escaped inside it, not as lines of their own.
func TestStandardLogIsJSON(t *testing.T) {
	oldSlog, oldOut, oldFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(oldSlog)
		log.SetOutput(oldOut)
		log.SetFlags(oldFlags)
	})
	var buf bytes.Buffer
	setupLogging(&buf, slog.LevelInfo)
	forged := `{"level":"ERROR","msg":"FORGED"}`
	log.Printf("Could not convert request POST:/v1/applications/x\n%s\r\n\u2028\x1b[31m/oauth/token", forged)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	var rec map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rec) != nil || !strings.Contains(rec["msg"].(string), forged) {
		t.Fatalf("%q", buf.String())
	}
}
