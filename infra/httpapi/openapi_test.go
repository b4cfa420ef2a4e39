package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIOperationsMatchRouters: every route of every router has
// exactly one operation in the document, and every operation is a route,
// in the family its tag names.
func TestOpenAPIOperationsMatchRouters(t *testing.T) {
	api := &API{}
	routed := map[string]string{}
	for _, fam := range append(slices.Clone(Families), OAuthFamily) {
		for _, r := range api.Handler(fam).Routes() {
			d := documentedRoute(r)
			if other, ok := routed[d]; ok {
				t.Errorf("%s is routed by %s and %s", d, other, fam)
			}
			routed[d] = fam
		}
	}
	described := map[string]int{}
	for _, op := range operations {
		described[op.Route]++
	}
	for r, fam := range routed {
		if described[r] != 1 {
			t.Errorf("%s (family %s) has %d operations in openapi_ops.go, want 1; add one, then run go run ./scripts/openapi", r, fam, described[r])
		}
	}
	for r, n := range described {
		if _, ok := routed[r]; !ok {
			t.Errorf("operation %s (%d) is no route of any router", r, n)
		}
	}
	doc := committedDoc(t)
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			r := strings.ToUpper(method) + " " + path
			tags := o.(map[string]any)["tags"].([]any)
			if len(tags) != 1 || tags[0] != routed[r] {
				t.Errorf("%s: tags %v, want [%s]", r, tags, routed[r])
			}
		}
	}
}

// TestOpenAPIFileIsCurrent: the committed document is what the code
// generates now.
func TestOpenAPIFileIsCurrent(t *testing.T) {
	b, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, OpenAPIDocument) {
		t.Fatalf("%s is not what the code generates; run: go run ./scripts/openapi (from the repository root) and commit it", OpenAPIFile)
	}
}

func committedDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(OpenAPIDocument, &doc); err != nil {
		t.Fatalf("%s: %v", OpenAPIFile, err)
	}
	return doc
}

// TestOpenAPIDocumentIsWellFormed checks the document's structure as
// OpenAPI 3.1 requires it: version, info, paths and operations with
// responses, every $ref resolving inside the document, path parameters
// exactly those of the path template, unique operation ids, and security
// schemes that exist.
func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := committedDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["title"] == nil || info["version"] == nil || info["version"] == "" {
		t.Errorf("info needs title and version: %v", info)
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if len(refs) == 0 {
		t.Fatal("no $ref at all")
	}
	for _, r := range refs {
		if _, err := resolvePointer(doc, r); err != nil {
			t.Errorf("$ref %s: %v", r, err)
		}
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	ids := map[string]string{}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	for path, item := range paths {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %s does not start with /", path)
		}
		var want []string
		for _, seg := range split(path) {
			if strings.HasPrefix(seg, "{") {
				want = append(want, strings.Trim(seg, "{}"))
			}
		}
		slices.Sort(want)
		for method, raw := range item.(map[string]any) {
			if !slices.Contains(methods, method) {
				t.Errorf("%s: %s is no method", path, method)
				continue
			}
			o := raw.(map[string]any)
			id, _ := o["operationId"].(string)
			if prev, dup := ids[id]; dup || id == "" {
				t.Errorf("%s %s: operationId %q (also %s)", method, path, id, prev)
			}
			ids[id] = method + " " + path
			var got []string
			seen := map[string]bool{}
			params, _ := o["parameters"].([]any)
			for _, p := range params {
				p := p.(map[string]any)
				key := p["in"].(string) + ":" + p["name"].(string)
				if seen[key] {
					t.Errorf("%s %s: parameter %s twice", method, path, key)
				}
				seen[key] = true
				if p["in"] == "path" {
					if p["required"] != true {
						t.Errorf("%s %s: path parameter %s not required", method, path, p["name"])
					}
					got = append(got, p["name"].(string))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: path parameters %v, want %v", method, path, got, want)
			}
			if rs, _ := o["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
			if o["summary"] == "" {
				t.Errorf("%s %s: no summary", method, path)
			}
			sec, ok := o["security"].([]any)
			if !ok {
				t.Errorf("%s %s: no security (an empty list for public)", method, path)
			}
			for _, req := range sec {
				for name := range req.(map[string]any) {
					if _, ok := schemes[name]; !ok {
						t.Errorf("%s %s: security scheme %s is not declared", method, path, name)
					}
				}
			}
		}
	}
}

// resolvePointer follows a local reference (#/a/b) in doc.
func resolvePointer(doc map[string]any, r string) (any, error) {
	p, ok := strings.CutPrefix(r, "#/")
	if !ok {
		return nil, errString("not a local reference")
	}
	var cur any = doc
	for _, tok := range strings.Split(p, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, errString("no object at " + tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, errString("no " + tok)
		}
	}
	return cur, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// TestOpenAPIServed: the oauth function serves the committed document,
// publicly (no authorizer context needed).
func TestOpenAPIServed(t *testing.T) {
	w := httptest.NewRecorder()
	(&API{}).Handler(OAuthFamily).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), OpenAPIDocument) {
		t.Fatalf("status %d, body %.200s", w.Code, w.Body.Bytes())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}
