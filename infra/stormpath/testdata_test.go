package stormpath_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
)

var update = flag.Bool("update", false, "rewrite testdata/ from the generator")

// testdata/ holds a small export of each generation, as the generator
// writes it (`go test ./infra/stormpath -run TestTestdata -update`
// rewrites them), so a reader can look at one; the tests that import
// build bigger ones the same way.
func TestTestdataIsTheGenerators(t *testing.T) {
	for name, gen := range map[string]exportgen.Generation{"export-embedded": exportgen.Embedded, "export-folders": exportgen.Folders} {
		want := filepath.Join("testdata", name)
		if *update {
			if err := os.RemoveAll(want); err != nil {
				t.Fatal(err)
			}
			if _, err := exportgen.Write(want, exportgen.Spec{Generation: gen, BigKeys: 3, Seed: 2017}); err != nil {
				t.Fatal(err)
			}
		}
		got := t.TempDir()
		if _, err := exportgen.Write(got, exportgen.Spec{Generation: gen, BigKeys: 3, Seed: 2017}); err != nil {
			t.Fatal(err)
		}
		if a, b := tree(t, want), tree(t, got); a != b {
			t.Fatalf("testdata/%s is not what the generator writes (run with -update):\n%s\n---\n%s", name, a, b)
		}
	}
}

// bcryptSalted is a bcrypt hash, whose salt the library draws itself:
// the one part of an export that differs between two runs.
var bcryptSalted = regexp.MustCompile(`\$2a\$04\$[./A-Za-z0-9]{53}`)

// tree is every file under dir with its content, in order, bcrypt
// hashes masked.
func tree(t *testing.T, dir string) string {
	t.Helper()
	out := ""
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out += filepath.ToSlash(rel) + "\n" + bcryptSalted.ReplaceAllString(string(b), "$$2a$$04$$…") + "\n"
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
