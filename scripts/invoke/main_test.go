package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const echoPkg = "./infra/rie/testdata/echo"

func TestInvokeEchoPackage(t *testing.T) {
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"route":"GET /apikeys"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-pkg", echoPkg, "-e", event, "-env", "KEYSTORM_MARK=cli"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	var resp struct {
		Event map[string]string `json:"event"`
		Env   map[string]string `json:"env"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("stdout %q: %v", stdout.String(), err)
	}
	if resp.Event["route"] != "GET /apikeys" {
		t.Errorf("echoed event = %v", resp.Event)
	}
	if resp.Env["KEYSTORM_MARK"] != "cli" {
		t.Errorf("KEYSTORM_MARK = %q, want cli", resp.Env["KEYSTORM_MARK"])
	}
	if !strings.Contains(stderr.String(), "INIT REPORT durationMs: ") {
		t.Errorf("stderr lacks the cold start line:\n%s", stderr.String())
	}
}

func TestInvokeHandlerErrorFails(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"-pkg", echoPkg, "-e", "-"},
		strings.NewReader(`{"fail":"nope"}`), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"errorMessage":"nope"`) {
		t.Errorf("stdout = %q, want the error document", stdout.String())
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-fn", "a", "-pkg", "./b"},
		{"-fn", "../x"},
		{"-pkg", "./x", "extra"},
		{"-pkg", "./x", "-env", "NOEQUALS"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}
