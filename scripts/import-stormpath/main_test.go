package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/datalock"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/sqlite"
	"github.com/keystorm/keystorm/infra/stack"
	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
	"github.com/keystorm/keystorm/infra/stormpath/importer"
)

var fixed = domain.ClockFunc(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })

func testSetting() setting { return setting{Dynamo: dynamo.Config{}, Clock: fixed} }

// export writes a small export of the later generation.
func export(t *testing.T) (string, *exportgen.Fixture) {
	t.Helper()
	dir := t.TempDir()
	fx, err := exportgen.Write(dir, exportgen.Spec{Generation: exportgen.Folders, BigKeys: 8, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	return dir, fx
}

// importRun runs the command and returns its exit status, its summary
// (when it printed one line) and its stderr.
func importRun(t *testing.T, args ...string) (int, *importer.Summary, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, testSetting(), &stdout, &stderr)
	if stdout.Len() == 0 {
		return code, nil, stderr.String()
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout holds %d lines, want one:\n%s", len(lines), stdout.String())
	}
	var sum importer.Summary
	if err := json.Unmarshal([]byte(lines[0]), &sum); err != nil {
		t.Fatalf("summary %q: %v", lines[0], err)
	}
	return code, &sum, stderr.String()
}

func events(t *testing.T, data string) int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(data, stack.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	streams, err := st.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	return n
}

// secrets are the texts no output may hold: every key's secret and
// password's plain text in the export, and its hashes.
func secrets(t *testing.T, dir string, fx *exportgen.Fixture) []string {
	t.Helper()
	var out []string
	for _, a := range fx.Accounts {
		for _, k := range a.Keys {
			out = append(out, k.Secret)
		}
		if a.Password != "" {
			out = append(out, a.Password)
		}
		b, err := os.ReadFile(filepath.Join(dir, "accounts", a.ID+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Password string }
		if err := json.Unmarshal(b, &f); err != nil || f.Password == "" {
			t.Fatalf("%s: %v", a.Username, err)
		}
		out = append(out, f.Password)
	}
	return out
}

func TestFlags(t *testing.T) {
	dir, _ := export(t)
	for _, c := range []struct {
		args []string
		env  string
		code int
	}{
		{[]string{"-h"}, "", 0},
		{[]string{}, "", 2},
		{[]string{"-export", dir}, "", 2},
		{[]string{"-export", dir, "-data", t.TempDir(), "-store", "dynamodb"}, "", 2},
		{[]string{"-export", dir, "-data", t.TempDir(), "-store", "sqlite"}, "http://127.0.0.1:1", 2},
		{[]string{"-export", dir, "-data", t.TempDir(), "-store", "postgres"}, "", 2},
		{[]string{"-export", dir, "-data", t.TempDir(), "stray"}, "", 2},
		{[]string{"-export", t.TempDir(), "-data", t.TempDir()}, "", 1}, // no meta.json
	} {
		set := testSetting()
		set.Dynamo.Endpoint = c.env
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, set, &stdout, &stderr); code != c.code || stdout.Len() != 0 {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", c.args, code, c.code, stdout.String(), stderr.String())
		}
	}
}

// TestEmptyStoreGetsATenant: on an empty data directory the command
// makes a tenant, whose admin key it prints once, in the summary; the key
// works. No output holds a secret or hash of the export. A second run
// makes no tenant, finds every item present and writes nothing.
func TestEmptyStoreGetsATenant(t *testing.T) {
	dir, fx := export(t)
	data := filepath.Join(t.TempDir(), "data")
	code, sum, stderr := importRun(t, "-export", dir, "-data", data, "-progress-every", "2")
	if code != 0 || sum == nil || sum.NewAdminKey == nil || sum.NewAdminKey.APIKeySecret == "" {
		t.Fatalf("exit %d, summary %+v, stderr %s", code, sum, stderr)
	}
	if sum.Counts.Accounts.Imported != len(fx.Accounts) || sum.Counts.APIKeys.Imported == 0 || sum.PasswordsNeedingReset != 1 {
		t.Fatalf("counts %+v", sum.Counts)
	}
	if !strings.Contains(stderr, "accounts: 2 of") || !strings.Contains(stderr, "created tenant") || strings.Contains(stderr, sum.NewAdminKey.APIKeySecret) {
		t.Fatalf("stderr:\n%s", stderr)
	}
	line, _ := json.Marshal(sum)
	for _, s := range secrets(t, dir, fx) {
		if strings.Contains(string(line), s) || strings.Contains(stderr, s) {
			t.Fatal("the output holds a secret or a hash of the export")
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(data, stack.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	auth := &domain.KeyAuthenticator{Store: st, Clock: fixed}
	p, err := auth.Authenticate(context.Background(), sum.NewAdminKey.APIKeyID, sum.NewAdminKey.APIKeySecret)
	st.Close()
	if err != nil || !p.Admin || !strings.HasSuffix(sum.NewAdminKey.Tenant, "/v1/tenants/"+p.TenantID) || sum.Tenant != p.TenantID {
		t.Fatalf("new admin key: %v %+v", err, p)
	}

	before := events(t, data)
	code, again, stderr := importRun(t, "-export", dir, "-data", data)
	if code != 0 || again.NewAdminKey != nil || again.Tenant != sum.Tenant || again.Counts.Accounts.Present != len(fx.Accounts) ||
		again.Counts.Accounts.Imported != 0 || again.Counts.APIKeys.Imported != 0 || again.Counts.APIKeys.Present != sum.Counts.APIKeys.Imported {
		t.Fatalf("second run: exit %d, %+v, %s", code, again, stderr)
	}
	if n := events(t, data); n != before {
		t.Fatalf("a second run wrote %d events", n-before)
	}
}

// TestDryRunWritesNothing: a dry run on a directory without a database
// creates none; on a store with its tenant it writes no event; either
// way its summary counts what would land.
func TestDryRunWritesNothing(t *testing.T) {
	dir, fx := export(t)
	data := t.TempDir()
	code, sum, stderr := importRun(t, "-export", dir, "-data", data, "-dry-run")
	if code != 0 || !sum.DryRun || sum.NewAdminKey != nil || sum.Counts.Accounts.Imported != len(fx.Accounts) || sum.Counts.Directories.Imported != 2 {
		t.Fatalf("exit %d, %+v, %s", code, sum, stderr)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Fatalf("a dry run on an empty directory wrote %v", entries)
	}
	if code, _, _ := importRun(t, "-export", dir, "-data", data); code != 0 {
		t.Fatal("import")
	}
	before := events(t, data)
	code, sum, _ = importRun(t, "-export", dir, "-data", data, "-dry-run")
	if code != 0 || sum.Counts.Accounts.Present != len(fx.Accounts) || sum.Counts.Accounts.Imported != 0 {
		t.Fatalf("exit %d, %+v", code, sum.Counts)
	}
	if n := events(t, data); n != before {
		t.Fatalf("a dry run wrote %d events", n-before)
	}
}

// TestStoreInUse: while the local server runs on a data directory, the
// import refuses it, writing nothing; while an import holds it, the
// server refuses to start.
func TestStoreInUse(t *testing.T) {
	dir, _ := export(t)
	data := t.TempDir()
	s, err := stack.Start(context.Background(), stack.Options{Store: stack.StoreSQLite, DataDir: data, PublicURL: "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	before := events(t, data)
	code, sum, stderr := importRun(t, "-export", dir, "-data", data)
	s.Close()
	if code != 1 || sum != nil || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, data) {
		t.Fatalf("import beside a running server: exit %d, stderr %s", code, stderr)
	}
	if n := events(t, data); n != before {
		t.Fatalf("a refused import wrote %d events", n-before)
	}
	// The import holds the same lock while it runs.
	lock, err := datalock.Acquire(data)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if _, err := stack.Start(context.Background(), stack.Options{Store: stack.StoreSQLite, DataDir: data, PublicURL: "http://127.0.0.1:3000"}); !errors.Is(err, datalock.ErrInUse) {
		t.Fatalf("server beside an import: %v", err)
	}
}

// TestSeveralTenants: a store with two tenants needs -tenant-id, and the
// refusal lists the tenants' ids (nothing more); with it, the import
// lands in the one named.
func TestSeveralTenants(t *testing.T) {
	dir, _ := export(t)
	data := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(data, stack.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	svc := domain.NewService(st)
	var ids []string
	for _, name := range []string{"one", "two"} {
		b, err := svc.Bootstrap(context.Background(), domain.BootstrapInput{TenantName: name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.Tenant.ID)
	}
	st.Close()
	code, _, stderr := importRun(t, "-export", dir, "-data", data)
	if code != 1 || !strings.Contains(stderr, "-tenant-id") || !strings.Contains(stderr, ids[0]) || !strings.Contains(stderr, ids[1]) || strings.Contains(stderr, "kss_") {
		t.Fatalf("two tenants: exit %d, %s", code, stderr)
	}
	code, sum, stderr := importRun(t, "-export", dir, "-data", data, "-tenant", ids[1])
	if code != 0 || sum.Tenant != ids[1] || sum.Counts.Directories.Imported != 2 {
		t.Fatalf("-tenant: exit %d, %+v, %s", code, sum, stderr)
	}
	// -tenant-id, as the other tools name it, is the same flag: the
	// second run finds everything there.
	code, sum, stderr = importRun(t, "-export", dir, "-data", data, "-tenant-id", ids[1])
	if code != 0 || sum.Tenant != ids[1] || sum.Counts.Directories.Present != 2 {
		t.Fatalf("-tenant-id: exit %d, %+v, %s", code, sum, stderr)
	}
}

// cancelOn cancels a context once a line holding text is written.
type cancelOn struct {
	bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.text) {
		w.cancel()
	}
	return w.Buffer.Write(p)
}

// TestStoppedImportKeepsTheNewKey: an import on an empty store that stops
// short after making the tenant (here: interrupted) still prints the
// summary with the tenant's admin key, its only copy, and exits 1; run
// again, it goes on in that tenant.
func TestStoppedImportKeepsTheNewKey(t *testing.T) {
	dir, fx := export(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &cancelOn{text: "created tenant", cancel: cancel}
	code := run(ctx, []string{"-export", dir, "-data", data}, testSetting(), &stdout, stderr)
	var sum importer.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("exit %d, stdout %q: %v; stderr %s", code, stdout.String(), err, stderr.String())
	}
	if code != 1 || sum.NewAdminKey == nil || sum.NewAdminKey.APIKeySecret == "" || sum.Stopped == "" {
		t.Fatalf("exit %d, summary %+v", code, sum)
	}
	code, again, errs := importRun(t, "-export", dir, "-data", data)
	if code != 0 || again.Tenant != sum.Tenant || again.Counts.Accounts.Imported+again.Counts.Accounts.Present != len(fx.Accounts) {
		t.Fatalf("run again: exit %d, %+v, %s", code, again, errs)
	}
}
