package stormpath_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/stormpath"
	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
)

// The generator's stormpath2 is Stormpath's: it reproduces the public
// test vector.
func TestGeneratorMatchesTheVector(t *testing.T) {
	salt, err := base64.StdEncoding.DecodeString("OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=")
	if err != nil {
		t.Fatal(err)
	}
	if got := exportgen.Stormpath2("MD5", 1, salt, exportgen.VectorPassword); got != exportgen.VectorHash {
		t.Fatalf("stormpath2 of the vector: %s", got)
	}
}

// Both generations read the same: the same accounts, with their keys,
// groups and customData, whichever folder held them.
func TestBothGenerationsRead(t *testing.T) {
	for _, gen := range []exportgen.Generation{exportgen.Embedded, exportgen.Folders} {
		dir := t.TempDir()
		fx, err := exportgen.Write(dir, exportgen.Spec{Generation: gen, BigKeys: 30, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		e, err := stormpath.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if e.Tenant.ID != fx.Tenant || e.Tenant.Name != "Rebel Alliance" || string(e.Tenant.CustomData["plan"]) != `"pro"` || e.Tenant.CustomData["href"] != nil {
			t.Fatalf("generation %d: tenant %+v", gen, e.Tenant)
		}
		if len(e.Directories) != 2 || len(e.Applications) != 2 || len(e.Groups) != 2 || len(e.Mappings) != 3 || len(e.PasswordPolicies) != 1 {
			t.Fatalf("generation %d: %d directories, %d applications, %d groups, %d mappings, %d policies", gen,
				len(e.Directories), len(e.Applications), len(e.Groups), len(e.Mappings), len(e.PasswordPolicies))
		}
		shared := 0
		for _, m := range e.Mappings {
			if m.AccountStore.Collection() != "directories" {
				t.Fatalf("mapping store %q", m.AccountStore.Href)
			}
			if m.AccountStore.Key() == fx.Shared {
				shared++
			}
		}
		if shared != 2 {
			t.Fatalf("the shared directory is mapped %d times", shared)
		}
		if n, err := e.CountAccounts(); err != nil || n != len(fx.Accounts)+1 {
			t.Fatalf("generation %d: %d account files (%v)", gen, n, err)
		}
		var got []stormpath.Account
		if err := e.Accounts(func(a stormpath.Account) error { got = append(got, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(fx.Accounts) {
			t.Fatalf("generation %d: read %d accounts, wrote %d", gen, len(got), len(fx.Accounts))
		}
		if len(e.Problems) != 1 || e.Problems[0].File != fx.Broken {
			t.Fatalf("generation %d: problems %+v, want the broken file %s", gen, e.Problems, fx.Broken)
		}
		for _, want := range fx.Accounts {
			i := slices.IndexFunc(got, func(a stormpath.Account) bool { return a.ID == want.ID })
			if i < 0 {
				t.Fatalf("generation %d: %s not read", gen, want.Username)
			}
			a := got[i]
			if a.Username != want.Username || a.Email != want.Email || a.Directory.Key() != want.Directory || a.Status != want.Status || a.Password == "" {
				t.Fatalf("generation %d: %s read as %+v", gen, want.Username, a)
			}
			if len(a.APIKeys) != len(want.Keys) {
				t.Fatalf("generation %d: %s has %d keys, want %d", gen, want.Username, len(a.APIKeys), len(want.Keys))
			}
			// The keys folder is read in file order, not the account's.
			for _, k := range want.Keys {
				j := slices.IndexFunc(a.APIKeys, func(x stormpath.APIKey) bool { return x.ID == k.ID })
				if j < 0 || a.APIKeys[j].Secret != k.Secret || (a.APIKeys[j].Status == "DISABLED") == k.Enabled {
					t.Fatalf("generation %d: key %s of %s missing or read wrong (%d)", gen, k.ID, want.Username, j)
				}
			}
			var groups []string
			for _, g := range a.Groups {
				groups = append(groups, g.Key())
			}
			if !slices.Equal(groups, want.Groups) {
				t.Fatalf("generation %d: %s in groups %v, want %v", gen, want.Username, groups, want.Groups)
			}
			// The later generation names each membership; the first has
			// none to keep.
			for _, g := range want.Groups {
				if id := a.MembershipIDs[g]; (id != "") != (gen == exportgen.Folders) {
					t.Fatalf("generation %d: %s's membership of %s has id %q", gen, want.Username, g, id)
				}
			}
			if a.CustomData["href"] != nil {
				t.Fatal("the customData resource's own href was kept")
			}
			if want.CustomData != nil && canonical(t, a.CustomData) != canonical(t, want.CustomData) {
				t.Fatalf("generation %d: %s customData %s, want %s", gen, want.Username, canonical(t, a.CustomData), canonical(t, want.CustomData))
			}
		}
	}
}

// A folder that is missing is empty; a file without an id, or a key
// naming no account, is a problem, and the rest is read.
func TestProblemsAreReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	if _, err := exportgen.Write(dir, exportgen.Spec{Generation: exportgen.Folders, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "apiKeys/ORPHAN.json", `{"id":"ORPHAN","secret":"x"}`)
	write(t, dir, "directories/noid.json", `{"name":"nameless"}`)
	e, err := stormpath.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Problems) != 2 || len(e.Directories) != 2 {
		t.Fatalf("problems %+v, %d directories", e.Problems, len(e.Directories))
	}
	if _, err := stormpath.Open(t.TempDir()); err == nil {
		t.Fatal("an export without meta.json opened")
	}
}

// TestKeysOfAMissingAccountAreReported: in a later export, keys and
// memberships whose account has no readable file are reported as
// problems by the account walk, never dropped unseen.
func TestKeysOfAMissingAccountAreReported(t *testing.T) {
	dir := t.TempDir()
	fx, err := exportgen.Write(dir, exportgen.Spec{Generation: exportgen.Folders, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var gone *exportgen.Account
	for i := range fx.Accounts {
		if a := &fx.Accounts[i]; len(a.Keys) > 0 && len(a.Groups) > 0 {
			gone = a
			break
		}
	}
	if gone == nil {
		t.Fatal("the fixture has no account with keys and groups")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "accounts", "*", gone.ID+".json"))
	flat, _ := filepath.Glob(filepath.Join(dir, "accounts", gone.ID+".json"))
	for _, f := range append(files, flat...) {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	e, err := stormpath.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.Problems)
	if err := e.Accounts(func(stormpath.Account) error { return nil }); err != nil {
		t.Fatal(err)
	}
	keys, members := 0, 0
	for _, p := range e.Problems[before:] {
		switch {
		case strings.HasPrefix(p.File, "apiKeys/"):
			keys++
		case strings.HasPrefix(p.File, "groupMemberships/"):
			members++
		}
	}
	if keys != len(gone.Keys) || members != len(gone.Groups) {
		t.Fatalf("reported %d keys and %d memberships of the missing account, want %d and %d: %+v", keys, members, len(gone.Keys), len(gone.Groups), e.Problems[before:])
	}
}
