package stack_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/stack"
	"github.com/keystorm/keystorm/infra/template"
)

// TestTemplateRoutesMatchHandlers fails when template.yaml and the
// handlers disagree: a route the template sends to a function that does
// not serve it, or a handler route that API Gateway would never deliver.
func TestTemplateRoutesMatchHandlers(t *testing.T) {
	wd, _ := os.Getwd()
	file, err := stack.FindTemplate(wd)
	if err != nil {
		t.Fatal(err)
	}
	routes, err := template.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	api := &httpapi.API{}
	for _, fam := range httpapi.Families {
		var fromTemplate []string
		for _, r := range routes {
			if r.Function == fam {
				fromTemplate = append(fromTemplate, r.String())
				if r.Public {
					t.Errorf("%s: management route %s is public", fam, r)
				}
			}
		}
		slices.Sort(fromTemplate)
		if got := api.Handler(fam).Routes(); !slices.Equal(got, fromTemplate) {
			t.Errorf("%s: handler routes %v\ntemplate routes %v", fam, got, fromTemplate)
		}
	}
	// The oauth function: the same routes on both APIs count once, and
	// only introspection and the authenticate endpoint are behind the
	// authorizer (the others authenticate the client themselves, or are
	// the public JWKS and OpenAPI document).
	var oauth []string
	for _, r := range routes {
		if r.Function != httpapi.OAuthFamily {
			continue
		}
		oauth = append(oauth, r.String())
		if want := r.Path != "/oauth/introspect" && !strings.HasSuffix(r.Path, "/authenticate"); r.Public != want {
			t.Errorf("oauth: %s on %s: public %v, want %v", r, r.API, r.Public, want)
		}
	}
	slices.Sort(oauth)
	oauth = slices.Compact(oauth)
	if got := api.Handler(httpapi.OAuthFamily).Routes(); !slices.Equal(got, oauth) {
		t.Errorf("oauth: handler routes %v\ntemplate routes %v", got, oauth)
	}
	found := false
	for _, r := range routes {
		found = found || (r.Function == "example" && r.String() == "GET /troopers/{id}/equipment" && !r.Public)
	}
	if !found {
		t.Error("template lacks the protected example route")
	}
}
