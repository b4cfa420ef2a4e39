package domain_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestDependencyDirection keeps the domain free of AWS, Lambda and HTTP:
// events ← domain ← infra ← functions. It fails the build of a change
// that slips such an import into non-test domain or events code.
func TestDependencyDirection(t *testing.T) {
	forbidden := []string{"github.com/aws/", "github.com/awslabs/", "net/http", "github.com/keystorm/keystorm/infra", "github.com/keystorm/keystorm/functions"}
	for _, dir := range []string{".", "../events"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			for _, f := range forbidden {
				if strings.HasPrefix(imp, f) {
					t.Errorf("%s imports %s", pkg.ImportPath, imp)
				}
			}
		}
		if dir == "../events" {
			for _, imp := range pkg.Imports {
				if strings.Contains(imp, ".") {
					t.Errorf("events must use the standard library only, imports %s", imp)
				}
			}
		}
	}
}
