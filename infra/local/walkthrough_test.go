package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The README's walkthrough is documentation people copy into a shell, so
// it is tested as exactly that: TestREADMEWalkthrough takes its ```sh
// blocks from README.md, runs them in order in one bash session against a
// real local server, and checks every answer its ```text blocks show. A
// wrong command, a value copied by hand, a step that no longer holds, or an
// answer that changed fails the test.
const (
	// walkthroughHeading opens the README section that is run; the
	// section ends at the next level-2 heading.
	walkthroughHeading = "## Walkthrough"
	// The only things the test substitutes: the server's address (the
	// test's server listens on a free port) and the file that keeps the
	// server's output.
	readmeBase     = "http://127.0.0.1:3000"
	readmeBaseLine = "BASE=" + readmeBase
	readmeOutFile  = "/tmp/keystorm.out"
	// Blocks the test performs itself instead of running them: it starts
	// the server in-process (the same run as `go run ./infra/local`,
	// with stdout kept in a file, which is what tee does), and it checks
	// that the jose package is installed rather than reinstalling it
	// (scripts/test runs npm ci; doing it here would need the network and
	// pull node_modules from under tests running in parallel).
	startServerBlock = "go run ./infra/local | tee " + readmeOutFile
	installJoseBlock = "npm ci --prefix scripts/interop"
	// ellipsis stands for any text within a line in a sample answer.
	ellipsis = "…"
)

// walkthroughStory is what the walkthrough must keep showing, in this
// order, in its sample answers. Every sample is matched against the real
// answer, so together they prove the story: a sample cannot be weakened
// (or a step dropped) without this list noticing.
var walkthroughStory = []string{
	`"status":400,"code":8000`,                   // 1: the guide's body is not JSON
	"HTTP/1.1 201 Created",                       // 1: with the comma
	"Location: " + readmeBase + "/v1/accounts/",  //
	`"secret":"kss_`,                             // 2: a key, with its secret once
	`"authType":"basic"`,                         // 3: the protected API with Basic
	`"status":403,"code":8200`,                   // 3: a developer key on management
	`"status":"DISABLED"`,                        // 4: disabled ...
	"HTTP/1.1 401 Unauthorized",                  // 4: ... and refused after the TTL
	"HTTP/1.1 204 No Content",                    // 5: deleted
	`"secret":"kss_`,                             // 6: a second key
	`"token_type":"bearer"`,                      // 6: a token
	`"authType":"bearer"`,                        // 7: the protected API with Bearer
	"needs the scope view_others_equipment",      // 7: tk422 refused without the scope
	`"scope":"view_others_equipment"`,            // 8: the scope granted through a group
	`{"trooper":"tk422"`,                         // 8: tk422 served with it
	`"alg":"ES256"`,                              // 9: jose verified the token ...
	`"typ":"at+jwt"`,                             //
	`"aud":"keystorm:application:`,               //
	`"iss":"https://keystorm.local"`,             //
	`"scope":"view_others_equipment"`,            // ... and its scope
	`"status":"DISABLED"`,                        // 10: disabled ...
	"HTTP/1.1 401 Unauthorized",                  // 10: ... its token refused after the TTL
	`{"error":"invalid_client"`,                  // 10: and no new token
	`"rateLimit":{"requests":2,"period":"PT1M"}`, // 11: a key with an expiry and a limit
	"HTTP/1.1 429 Too Many Requests",             // 12: throttled after two
	"401",                                        // 13: the old secret, refused after a reroll
	`"type":"apikey.rerolled.v1"`,                // 14: the history and the audit log
	`"validAt":true`,                             // 15: valid before the reroll
}

// walkBlock is one ```sh block of the walkthrough and the ```text block
// that follows it, if any.
type walkBlock struct {
	line      int // of the opening fence in README.md, 1-based
	cmd       string
	sample    string
	hasSample bool
}

func TestREADMEWalkthrough(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseWalkthrough(string(readme))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	if err := checkStory(blocks); err != nil {
		t.Fatalf("README.md walkthrough: %v", err)
	}
	run, err := walkthroughToRun(blocks)
	if err != nil {
		t.Fatalf("README.md walkthrough: %v", err)
	}
	// The prerequisites the walkthrough lists. Missing ones fail rather
	// than skip, as TestTokensVerifyWithJose does: a skipped walkthrough
	// would be an unchecked one.
	for _, tool := range []string{"bash", "curl", "grep", "sed", "tr", "python3", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; the walkthrough needs it (%v)", tool, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "interop", "node_modules", "jose", "package.json")); err != nil {
		t.Fatalf("jose is not installed: run %s (scripts/test does it) (%v)", installJoseBlock, err)
	}

	// The README's server is `go run ./infra/local` as is: the embedded
	// store, whatever this environment points DynamoDB at.
	t.Setenv("DYNAMODB_ENDPOINT", "")
	out := filepath.Join(t.TempDir(), "keystorm.out")
	base, logs, stop := startWalkthroughServer(t, out)
	defer stop()

	script := walkthroughScript(run, base, out)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard, not an assertion
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-c", script)
	cmd.Dir = root
	cmd.Env = walkthroughEnv(run)
	var transcript bytes.Buffer
	cmd.Stdout, cmd.Stderr = &transcript, &transcript
	runErr := cmd.Run()
	outputs := splitTranscript(transcript.String(), len(run))
	if runErr != nil {
		last := len(outputs) - 1
		if last < 0 {
			last = 0
		}
		t.Fatalf("the walkthrough failed in the block at README.md line %d: %v\n--- block:\n%s\n--- its output:\n%s\n--- server log (tail):\n%s",
			run[last].line, runErr, run[last].cmd, lastOutput(outputs), tail(logs.String(), 4000))
	}
	if len(outputs) != len(run) {
		t.Fatalf("got the output of %d blocks, want %d:\n%s", len(outputs), len(run), transcript.String())
	}
	for i, b := range run {
		got := strings.ReplaceAll(outputs[i], "\r", "")
		if !b.hasSample {
			// A block the README shows no answer for must print nothing,
			// or the reader would see something the README does not say.
			if strings.TrimSpace(got) != "" {
				t.Errorf("README.md line %d: the block prints output the README does not show:\n%s\n--- output:\n%s", b.line, b.cmd, got)
			}
			continue
		}
		sample := strings.ReplaceAll(b.sample, readmeBase, base)
		if line, ok := matchSample(sample, got); !ok {
			t.Errorf("README.md line %d: the answer does not match the README.\n--- block:\n%s\n--- first sample line not found (in order):\n%s\n--- output:\n%s",
				b.line, b.cmd, line, got)
		}
	}
}

// parseWalkthrough returns the fenced blocks of the walkthrough section.
// Only ```sh (commands) and ```text (the answer of the block before)
// fences are allowed there, and no indented code blocks: anything else
// would be a command or answer this test cannot see.
func parseWalkthrough(readme string) ([]walkBlock, error) {
	lines := strings.Split(readme, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, walkthroughHeading) {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("no %q section", walkthroughHeading)
	}
	var blocks []walkBlock
	for i := start + 1; i < len(lines) && !strings.HasPrefix(lines[i], "## "); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			if (strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t")) && strings.TrimSpace(lines[i-1]) == "" {
				return nil, fmt.Errorf("line %d: an indented code block; use a ```sh or ```text fence", i+1)
			}
			continue
		}
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: the fence is not closed", i+1)
		}
		body := strings.Join(lines[i+1:end], "\n")
		switch info := strings.TrimSpace(strings.TrimPrefix(l, "```")); info {
		case "sh":
			blocks = append(blocks, walkBlock{line: i + 1, cmd: body})
		case "text":
			if len(blocks) == 0 || blocks[len(blocks)-1].hasSample {
				return nil, fmt.Errorf("line %d: a ```text block that follows no ```sh block", i+1)
			}
			blocks[len(blocks)-1].sample, blocks[len(blocks)-1].hasSample = body, true
		default:
			return nil, fmt.Errorf("line %d: fence %q; the walkthrough uses ```sh for commands and ```text for their answers", i+1, info)
		}
		i = end
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("the %q section has no ```sh blocks", walkthroughHeading)
	}
	return blocks, nil
}

// placeholder finds values a reader would have to fill in by hand.
var placeholder = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9_-]*>|` + ellipsis)

// walkthroughToRun checks the blocks and returns those the shell runs: all
// but the two the test performs itself, which open the walkthrough (the
// prerequisite, then the server).
func walkthroughToRun(blocks []walkBlock) ([]walkBlock, error) {
	if len(blocks) < 2 || strings.TrimSpace(blocks[0].cmd) != installJoseBlock || strings.TrimSpace(blocks[1].cmd) != startServerBlock {
		return nil, fmt.Errorf("the walkthrough must open with the blocks %q (a prerequisite) and %q", installJoseBlock, startServerBlock)
	}
	var run []walkBlock
	bases := 0
	for _, b := range blocks[2:] {
		cmd := strings.TrimSpace(b.cmd)
		if cmd == installJoseBlock || cmd == startServerBlock {
			return nil, fmt.Errorf("README.md line %d: %q again", b.line, cmd)
		}
		if m := placeholder.FindString(b.cmd); m != "" {
			return nil, fmt.Errorf("README.md line %d: the command has the placeholder %q; capture the value with a command instead", b.line, m)
		}
		for _, l := range strings.Split(b.cmd, "\n") {
			if strings.TrimSpace(l) == readmeBaseLine {
				bases++
			}
		}
		run = append(run, b)
	}
	if bases != 1 {
		return nil, fmt.Errorf("want exactly one line %q, got %d", readmeBaseLine, bases)
	}
	return run, nil
}

// checkStory checks that the samples still tell walkthroughStory, in order.
func checkStory(blocks []walkBlock) error {
	var samples strings.Builder
	for _, b := range blocks {
		samples.WriteString(b.sample)
		samples.WriteString("\n")
	}
	text, at := samples.String(), 0
	for _, want := range walkthroughStory {
		i := strings.Index(text[at:], want)
		if i < 0 {
			return fmt.Errorf("the answers no longer show %q (after what comes before it in the story)", want)
		}
		at += i + len(want)
	}
	return nil
}

// shellVar finds the variables a command expands.
var shellVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// walkthroughEnv is this process's environment without the variables the
// walkthrough expands (but PATH and HOME): they start unset, as in a new
// shell, so that one the README forgets to set fails (bash -u) instead of
// coming from whatever this environment holds.
func walkthroughEnv(run []walkBlock) []string {
	used := map[string]bool{}
	for _, b := range run {
		for _, m := range shellVar.FindAllStringSubmatch(b.cmd, -1) {
			used[m[1]] = true
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !used[name] || name == "PATH" || name == "HOME" {
			env = append(env, kv)
		}
	}
	// The requests go to 127.0.0.1: keep any configured proxy out of it.
	return append(env, "NO_PROXY=*", "no_proxy=*")
}

// marker separates the outputs of the blocks in the transcript. It starts
// with a newline because the server's JSON answers do not end with one.
func marker(i int) string { return fmt.Sprintf("\n@@walkthrough block %d@@\n", i) }

var markerRE = regexp.MustCompile(`\n@@walkthrough block (\d+)@@\n`)

// walkthroughScript is the bash session: the blocks, literally, with the
// server's real address and output file, stopping at the first failing
// command (-e), unset variable (-u) or failing pipeline stage.
func walkthroughScript(run []walkBlock, base, outFile string) string {
	var s strings.Builder
	s.WriteString("set -euo pipefail\n")
	for i, b := range run {
		cmd := strings.ReplaceAll(b.cmd, readmeOutFile, outFile)
		lines := strings.Split(cmd, "\n")
		for j, l := range lines {
			if strings.TrimSpace(l) == readmeBaseLine {
				lines[j] = strings.Replace(l, readmeBaseLine, "BASE="+base, 1)
			}
		}
		fmt.Fprintf(&s, "printf %%s %s\n%s\n", shellQuote(marker(i)), strings.Join(lines, "\n"))
	}
	fmt.Fprintf(&s, "printf %%s %s\n", shellQuote(marker(len(run))))
	return s.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// splitTranscript returns the output of each block that started; the last
// marker (len(run)) says that the session finished.
func splitTranscript(transcript string, n int) []string {
	locs := markerRE.FindAllStringSubmatchIndex(transcript, -1)
	var outs []string
	for k, loc := range locs {
		i, _ := strconv.Atoi(transcript[loc[2]:loc[3]])
		if i != k || i == n {
			break
		}
		end := len(transcript)
		if k+1 < len(locs) {
			end = locs[k+1][0]
		}
		outs = append(outs, transcript[loc[1]:end])
	}
	return outs
}

func lastOutput(outs []string) string {
	if len(outs) == 0 {
		return ""
	}
	return outs[len(outs)-1]
}

// matchSample reports whether output shows the sample: each non-empty
// sample line appears in output, in order, with … standing for any text
// within a line; anything may come between them (headers or answers the
// sample leaves out). Otherwise it returns the first sample line that
// could not be found.
func matchSample(sample, output string) (string, bool) {
	var lines []string
	var parts []string
	for _, l := range strings.Split(sample, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
			parts = append(parts, lineRegexp(l))
		}
	}
	// The verdict comes from one regexp, so no greedy choice can miss a
	// match; the line is found by growing it one line at a time.
	if regexp.MustCompile(strings.Join(parts, `(?s:.*?)`)).MatchString(output) {
		return "", true
	}
	for k := range parts {
		if !regexp.MustCompile(strings.Join(parts[:k+1], `(?s:.*?)`)).MatchString(output) {
			return lines[k], false
		}
	}
	return lines[len(lines)-1], false
}

func lineRegexp(line string) string {
	pieces := strings.Split(line, ellipsis)
	for i, p := range pieces {
		pieces[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(pieces, `[^\n]*?`)
}

// startWalkthroughServer runs the server as the README's first block does:
// run with its default flags but a free port, stdout kept in outFile. It
// returns once the JSON line is out, with the base URL taken from it.
func startWalkthroughServer(t *testing.T, outFile string) (string, *syncBuffer, func()) {
	t.Helper()
	f, err := os.Create(outFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, io.MultiWriter(f, pw), logs)
		pw.Close()
	}()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		f.Close()
	}
	// A hang guard, not an assertion: a server that never prints its
	// JSON line ends the wait with an error below.
	guard := time.AfterFunc(2*time.Minute, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	defer guard.Stop()
	var boot struct {
		Application string `json:"application"`
	}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &boot); err != nil {
				stop()
				t.Fatalf("JSON line %q: %v", line, err)
			}
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	i := strings.Index(boot.Application, "/v1/")
	if i < 0 {
		stop()
		t.Fatalf("the server printed no JSON line with an application href (%v); log:\n%s", sc.Err(), tail(logs.String(), 4000))
	}
	return boot.Application[:i], logs, stop
}

// syncBuffer is the server's stderr: written by the server, read by the
// test when something failed.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// TestMatchSample pins the sample-matching rules the walkthrough test
// relies on, so that a lax matcher cannot make it pass vacuously.
func TestMatchSample(t *testing.T) {
	out := "{\"href\":\"x\",\"status\":\"DISABLED\"}HTTP/1.1 401 Unauthorized\nContent-Type: a\nWww-Authenticate: Basic\n\n{\"status\":401}"
	for _, c := range []struct {
		sample string
		ok     bool
	}{
		{"{\"href\":…,\"status\":\"DISABLED\"…}\nHTTP/1.1 401 Unauthorized\nWww-Authenticate: Basic\n{\"status\":401…}", true},
		{"HTTP/1.1 401 Unauthorized\n…\n{\"status\":401}", true},
		{"HTTP/1.1 200 OK", false},
		{"Www-Authenticate: Basic\nHTTP/1.1 401 Unauthorized", false}, // order matters
		{"{\"status\":\"DISABLED…\"status\":401}", false},             // … stays within a line
		{"{\"status\":403…}", false},
	} {
		if _, ok := matchSample(c.sample, out); ok != c.ok {
			t.Errorf("matchSample(%q) = %v, want %v", c.sample, ok, c.ok)
		}
	}
}

// TestParseWalkthroughRefuses pins what the walkthrough may not contain.
func TestParseWalkthroughRefuses(t *testing.T) {
	good := "```sh\n" + installJoseBlock + "\n```\n```sh\n" + startServerBlock + "\n```\n```sh\n" + readmeBaseLine + "\n```\n"
	for name, c := range map[string]struct {
		section string
		wantErr string
	}{
		"indented block":   {"text\n\n    curl x\n", "indented code block"},
		"other fence":      {"```bash\ncurl x\n```\n", "fence \"bash\""},
		"lonely sample":    {"```text\nx\n```\n", "follows no ```sh"},
		"unclosed":         {"```sh\ncurl x\n", "not closed"},
		"placeholder":      {good + "```sh\ncurl $BASE/v1/apiKeys/<keyId>\n```\n", "placeholder \"<keyId>\""},
		"copied value":     {good + "```sh\nKEY=ABC:kss_…\n```\n", "placeholder \"…\""},
		"no server":        {"```sh\n" + installJoseBlock + "\n```\n```sh\n" + readmeBaseLine + "\n```\n", "must open with"},
		"no jose":          {"```sh\n" + startServerBlock + "\n```\n```sh\n" + readmeBaseLine + "\n```\n", "must open with"},
		"server twice":     {good + "```sh\n" + startServerBlock + "\n```\n", "again"},
		"no BASE":          {"```sh\n" + installJoseBlock + "\n```\n```sh\n" + startServerBlock + "\n```\n```sh\ncurl x\n```\n", "exactly one line"},
		"hard-coded story": {good + "```sh\ncurl x\n```\n```text\nHTTP/1.1 204 No Content\n```\n", "no longer show"},
	} {
		t.Run(name, func(t *testing.T) {
			blocks, err := parseWalkthrough("# x\n" + walkthroughHeading + "\n" + c.section + "## Next\n")
			if err == nil {
				if _, err = walkthroughToRun(blocks); err == nil {
					err = checkStory(blocks)
				}
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}
