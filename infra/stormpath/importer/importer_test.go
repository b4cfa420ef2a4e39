package importer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/embedded"
	"github.com/keystorm/keystorm/infra/sqlite"
	"github.com/keystorm/keystorm/infra/stormpath"
	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
	"github.com/keystorm/keystorm/infra/stormpath/importer"
)

// store is what the tests need of either store.
type store interface {
	domain.Store
	ReadEvents(ctx context.Context) (map[string][]events.Envelope, error)
}

// fixed is the service's clock: the import never compares times with
// it, so one instant does.
var fixed = domain.ClockFunc(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })

type world struct {
	st    store
	svc   *domain.Service
	admin domain.Caller
	dir   string
	fx    *exportgen.Fixture
	// oversize is the id of the account whose customData is too large.
	oversize string
}

// newWorld writes an export of gen with bigKeys keys on one account,
// adds an account with customData over the limit and files of kinds
// Keystorm does not take, and bootstraps a tenant on st.
func newWorld(t *testing.T, st store, gen exportgen.Generation, bigKeys int) *world {
	t.Helper()
	w := &world{st: st, dir: t.TempDir(), oversize: "OversizeCustomData0001"}
	var err error
	if w.fx, err = exportgen.Write(w.dir, exportgen.Spec{Generation: gen, BigKeys: bigKeys, Seed: 12}); err != nil {
		t.Fatal(err)
	}
	blob := strings.Repeat("x", domain.MaxCustomDataBytes)
	write(t, w.dir, "accounts/"+w.oversize+".json", map[string]any{"href": "https://api.stormpath.com/v1/accounts/" + w.oversize, "id": w.oversize,
		"createdAt": "2016-03-01T09:00:00.000Z", "modifiedAt": "2016-03-01T09:00:00.000Z", "username": "jabba", "email": "jabba@hutts.example",
		"status": "ENABLED", "password": "", "directory": map[string]string{"href": "https://api.stormpath.com/v1/directories/" + w.fx.Shared},
		"customData": map[string]any{"palace": blob}})
	write(t, w.dir, "organizations/ORG1.json", map[string]any{"id": "ORG1", "name": "Alliance"})
	write(t, w.dir, "accountLinks/LINK1.json", map[string]any{"id": "LINK1"})
	w.svc = domain.NewService(st)
	w.svc.Clock = fixed
	b, err := w.svc.Bootstrap(context.Background(), domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	w.admin = domain.Caller{TenantID: b.Tenant.ID, Admin: true, Via: "test"}
	return w
}

func write(t *testing.T, dir, rel string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *world) run(t *testing.T, dry bool) *importer.Summary {
	t.Helper()
	e, err := stormpath.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	sum, err := importer.Import(context.Background(), e, importer.Options{Service: w.svc, Caller: w.admin, Run: domain.NewImportRun(dry), Progress: &progress, ProgressEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []string{"directories", "groups", "applications", "accounts", "API keys", "memberships", "accounts: 3 of "} {
		if !strings.Contains(progress.String(), "import-stormpath: "+phase) {
			t.Fatalf("no progress line for %s in\n%s", phase, progress.String())
		}
	}
	return sum
}

func (w *world) events(t *testing.T) int {
	t.Helper()
	streams, err := w.st.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range streams {
		n += len(s)
	}
	return n
}

// canonical is v's JSON with object keys sorted.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

// wantCounts is the summary of a first run of newWorld's export.
func (w *world) wantCounts(keys int) importer.AllCounts {
	one := importer.Counts{Imported: 1}
	return importer.AllCounts{
		TenantCustomData: one,
		Directories:      importer.Counts{Imported: 2},
		Groups:           importer.Counts{Imported: 2},
		Applications:     importer.Counts{Imported: 2},
		Mappings:         importer.Counts{Imported: 3},
		// The broken file and the oversize customData.
		Accounts:    importer.Counts{Imported: len(w.fx.Accounts), Skipped: 2},
		APIKeys:     importer.Counts{Imported: keys},
		Memberships: importer.Counts{Imported: 2},
	}
}

func allPresent(c importer.AllCounts) importer.AllCounts {
	for _, k := range []*importer.Counts{&c.TenantCustomData, &c.Directories, &c.Groups, &c.Applications, &c.Mappings, &c.Accounts, &c.APIKeys, &c.Memberships} {
		k.Present, k.Imported = k.Imported, 0
	}
	return c
}

// check asserts what a first run landed, item by item.
func (w *world) check(t *testing.T, gen exportgen.Generation, sum *importer.Summary) {
	t.Helper()
	ctx := context.Background()
	keys := 0
	for _, a := range w.fx.Accounts {
		keys += len(a.Keys)
	}
	if want := w.wantCounts(keys); sum.Counts != want {
		t.Fatalf("counts %+v, want %+v", sum.Counts, want)
	}
	if want := map[string]int{domain.PasswordKept: 6, domain.PasswordReset: 1}; !reflect.DeepEqual(sum.Passwords, want) || sum.PasswordsNeedingReset != 1 {
		t.Fatalf("passwords %v, %d to reset", sum.Passwords, sum.PasswordsNeedingReset)
	}
	if want := map[string]int{"passwordPolicies": 2, "organizations": 1, "accountLinks": 1}; !reflect.DeepEqual(sum.NotMapped, want) {
		t.Fatalf("not mapped %v", sum.NotMapped)
	}
	// Skips are listed as met: the oversize account as it is read, the
	// broken file once the reader has given up on it.
	if len(sum.Skipped) != 2 || sum.Skipped[1].File != w.fx.Broken || sum.Skipped[1].Kind != "account" || !strings.Contains(sum.Skipped[1].Reason, "not valid JSON") ||
		sum.Skipped[0].ID != w.oversize || sum.Skipped[0].Kind != "account" || !strings.Contains(sum.Skipped[0].Reason, "customData must be at most") {
		t.Fatalf("skipped %+v", sum.Skipped)
	}
	if b, _ := json.Marshal(sum); strings.Contains(string(b), "xxxxxxxx") {
		t.Fatal("the summary quotes the oversize customData")
	}

	// What the export says, to compare with.
	e, err := stormpath.Open(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]stormpath.Account{}
	if err := e.Accounts(func(a stormpath.Account) error { exported[a.ID] = a; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, want := range w.fx.Accounts {
		x := exported[want.ID]
		a, err := w.svc.GetAccount(ctx, w.admin, want.ID)
		if err != nil {
			t.Fatalf("%s: %v", want.Username, err)
		}
		if a.ID != want.ID || a.Username != want.Username || a.Email != want.Email || a.Status != want.Status || a.DirectoryID != want.Directory ||
			!a.CreatedAt.Equal(x.CreatedAt) || !a.ModifiedAt.Equal(x.ModifiedAt) || a.CreatedAt.Equal(x.ModifiedAt) {
			t.Fatalf("%s: %s %s %s %s %v %v", want.Username, a.ID, a.Username, a.Status, a.DirectoryID, a.CreatedAt, a.ModifiedAt)
		}
		switch want.Format {
		case "stormpath1":
			if a.PasswordHash != "" {
				t.Fatalf("%s: a stormpath1 hash was kept", want.Username)
			}
		default:
			if a.PasswordHash != x.Password {
				t.Fatalf("%s: the %s hash was not kept", want.Username, want.Format)
			}
		}
		if want.CustomData != nil && canonical(t, a.CustomData) != canonical(t, want.CustomData) {
			t.Fatalf("%s: customData %s, want %s", want.Username, canonical(t, a.CustomData), canonical(t, want.CustomData))
		}
		if want.CustomData == nil && len(a.CustomData) != 0 {
			t.Fatalf("%s: customData %s", want.Username, canonical(t, a.CustomData))
		}
		for _, k := range want.Keys {
			var got domain.APIKey
			if err := w.st.Load(ctx, domain.Ref{Kind: domain.KindAPIKey, ID: k.ID}, &got); err != nil {
				t.Fatalf("key %s: %v", k.ID, err)
			}
			status := domain.StatusEnabled
			if !k.Enabled {
				status = domain.StatusDisabled
			}
			if got.AccountID != want.ID || got.Status != status || !got.Imported || !domain.SecretMatches(k.Secret, got.SecretHash) {
				t.Fatalf("key %s of %s: account %s, status %s, imported %v", k.ID, want.Username, got.AccountID, got.Status, got.Imported)
			}
		}
		ms, err := w.svc.ListAccountMemberships(ctx, w.admin, want.ID, domain.Page{})
		if err != nil || ms.Size != len(want.Groups) {
			t.Fatalf("%s: memberships %v %d", want.Username, err, ms.Size)
		}
		for i, m := range ms.Items {
			id := x.MembershipIDs[want.Groups[i]]
			if gen == exportgen.Embedded {
				id = domain.MembershipImportID(want.ID, want.Groups[i])
			}
			if m.GroupID != want.Groups[i] || m.ID != id {
				t.Fatalf("%s: membership %s in %s", want.Username, m.ID, m.GroupID)
			}
		}
	}
	if big := w.fx.Account("bigco"); len(big.Keys) > 0 {
		l, err := w.svc.ListAPIKeys(ctx, w.admin, big.ID, domain.Page{})
		if err != nil || l.Size != len(big.Keys) {
			t.Fatalf("bigco's keys: %v %d", err, l.Size)
		}
	}
	// The second application maps the shared directory first, and the
	// partners after it.
	app, err := w.svc.GetApplication(ctx, w.admin, w.fx.Apps[1])
	if err != nil {
		t.Fatal(err)
	}
	ms := domain.MappingsOf(app)
	if app.DirectoryID != "" || len(ms) != 2 || ms[0].StoreID != w.fx.Shared || !ms[0].DefaultAccountStore || !ms[0].DefaultGroupStore ||
		ms[1].StoreID != w.fx.Second || ms[1].DefaultAccountStore || ms[1].ListIndex != 1 {
		t.Fatalf("mappings of the second application: %+v", ms)
	}
	first, err := w.svc.GetApplication(ctx, w.admin, w.fx.Apps[0])
	if err != nil || len(first.Mappings) != 1 || first.Mappings[0].StoreID != w.fx.Shared {
		t.Fatalf("first application: %v %+v", err, first)
	}
	for _, a := range e.Applications {
		got, err := w.svc.GetApplication(ctx, w.admin, a.ID)
		if err != nil || got.Name != a.Name || !got.CreatedAt.Equal(a.CreatedAt) || !got.ModifiedAt.Equal(a.ModifiedAt) {
			t.Fatalf("application %s: %v", a.ID, err)
		}
	}
	for _, g := range e.Groups {
		got, err := w.svc.GetGroup(ctx, w.admin, g.ID)
		if err != nil || got.Name != g.Name || got.DirectoryID != w.fx.Shared || !got.CreatedAt.Equal(g.CreatedAt) {
			t.Fatalf("group %s: %v", g.ID, err)
		}
	}
	cd, err := w.svc.GetCustomData(ctx, w.admin, domain.Ref{Kind: domain.KindTenant, ID: w.admin.TenantID})
	if err != nil || string(cd.Fields["plan"]) != `"pro"` {
		t.Fatalf("tenant customData: %v %v", err, cd.Fields)
	}
}

// TestImportBothGenerations: on the local server's store (SQLite, a real
// file), each generation of export lands whole, 2,500 keys on one
// account included; a dry run first writes nothing and predicts the
// summary exactly; a second run finds everything present and writes
// nothing.
func TestImportBothGenerations(t *testing.T) {
	for _, gen := range []exportgen.Generation{exportgen.Embedded, exportgen.Folders} {
		t.Run(map[exportgen.Generation]string{exportgen.Embedded: "embedded", exportgen.Folders: "folders"}[gen], func(t *testing.T) {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "keystorm.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			w := newWorld(t, st, gen, 2500)
			before := w.events(t)
			dry := w.run(t, true)
			if n := w.events(t); n != before {
				t.Fatalf("the dry run wrote %d events", n-before)
			}
			sum := w.run(t, false)
			if !dry.DryRun || sum.DryRun {
				t.Fatal("dryRun not reported")
			}
			dry.DryRun = false
			if a, b := canonical(t, dry), canonical(t, sum); a != b {
				t.Fatalf("the dry run predicted\n%s\nthe run did\n%s", a, b)
			}
			w.check(t, gen, sum)

			after := w.events(t)
			again := w.run(t, false)
			if n := w.events(t); n != after {
				t.Fatalf("a second run wrote %d events", n-after)
			}
			if want := allPresent(sum.Counts); again.Counts != want {
				t.Fatalf("second run %+v, want %+v", again.Counts, want)
			}
			if len(again.Passwords) != 0 || again.PasswordsNeedingReset != 0 {
				t.Fatalf("a second run counted passwords: %v", again.Passwords)
			}
		})
	}
}

// TestImportOnDynamoDB: the same import on the deployed functions' store
// (minidyn), with fewer keys.
func TestImportOnDynamoDB(t *testing.T) {
	h := embedded.New(t)
	w := newWorld(t, h.Store, exportgen.Folders, 20)
	w.check(t, exportgen.Folders, w.run(t, false))
	after := w.events(t)
	w.run(t, false)
	if n := w.events(t); n != after {
		t.Fatalf("a second run wrote %d events", n-after)
	}
}

// TestImportReportsMissingReferences: an account whose directory is not
// in the export, and a username taken twice in one directory, are
// skipped with their reasons, and their keys with them; the rest lands.
// (Their ids sort last, so they are read after the accounts they clash
// with.)
func TestImportReportsMissingReferences(t *testing.T) {
	st, err := sqlite.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newWorld(t, st, exportgen.Folders, 0)
	han := w.fx.Account("han")
	write(t, w.dir, "accounts/zzOrphan00000000000001.json", map[string]any{"id": "zzOrphan00000000000001", "username": "orphan", "email": "orphan@example.com",
		"directory": map[string]string{"href": "https://api.stormpath.com/v1/directories/NoSuchDirectory"},
		"apiKeys":   []any{map[string]string{"id": "ORPHANKEY0000000000000001", "secret": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}}})
	write(t, w.dir, "accounts/zzTwin0000000000000001.json", map[string]any{"id": "zzTwin0000000000000001", "username": "HAN", "email": "twin@example.com",
		"directory": map[string]string{"href": "https://api.stormpath.com/v1/directories/" + han.Directory}})
	sum := w.run(t, false)
	reasons := map[string]string{}
	for _, s := range sum.Skipped {
		reasons[s.ID] = s.Reason
	}
	if !strings.Contains(reasons["zzOrphan00000000000001"], "directory") || reasons["ORPHANKEY0000000000000001"] != "Its account was not imported." ||
		!strings.Contains(reasons["zzTwin0000000000000001"], "username") {
		t.Fatalf("skipped %+v", sum.Skipped)
	}
	if sum.Counts.Accounts.Imported != len(w.fx.Accounts) || sum.Counts.Accounts.Skipped != 4 || sum.Counts.APIKeys.Skipped != 1 {
		t.Fatalf("counts %+v", sum.Counts)
	}
}
