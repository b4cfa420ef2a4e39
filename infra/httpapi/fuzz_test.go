package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keystorm/keystorm/domain"
)

// FuzzRequestBodies feeds arbitrary bytes to every body parser. A parser
// must never panic, must reject with a client error of the API's kinds,
// and must only accept a single JSON object whose writable properties it
// read faithfully.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{
		`{"givenName":"Joe","surname":"Stormtrooper","username":"tk421","email":"tk421@stormpath.com","password":"Changeme1"}`,
		"{\n  \"givenName\": \"Joe\",\n  \"surname\": \"Stormtrooper\"\n  \"username\": \"tk421\"\n}",
		`{"customData":{"rank":"corporal","n":1e400}}`,
		`{"href":"x","status":"DISABLED","account":{"href":"y","email":"e"}}`,
		`{"name":null}`, `[]`, `{}{}`, `"str"`, `{"a":1`, "\xff", ``,
		"{\"username\":\"tk\xff421\"}", `{"username":"tk\ud800"}`, `{"s":"\ud83d\ude00"}`, `{"s":"\udc00\ud800"}`,
		`{"customData":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`, `{"s":"\ufffd"}`,
		`{"application":{"href":"https://x/v1/applications/a1"},"accountStore":{"href":"https://x/v1/directories/d1"},"listIndex":0,"isDefaultAccountStore":true}`,
		`{"application":{"href":"https://x/v1/applications/a1"},"accountStore":{"href":"https://x/v1/groups/g1/x"},"listIndex":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(name string, err error) {
			if err == nil {
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid {
				t.Fatalf("%s: %v is not a client error", name, err)
			}
		}
		in, err := accountInput(body)
		check("account", err)
		if err == nil && in.Email != nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) != nil {
				t.Fatalf("accepted a body that is not an object: %q", body)
			}
			var email string
			if json.Unmarshal(m["email"], &email) != nil || email != *in.Email {
				t.Fatalf("email read as %q from %q", *in.Email, body)
			}
		}
		_, err = applicationInput(body)
		check("application", err)
		_, err = groupInput(body)
		check("group", err)
		_, err = apiKeyInput(req{body: body})
		check("apiKey", err)
		_, err = directoryInput(body)
		check("directory", err)
		for _, create := range []bool{true, false} {
			m, err := mappingInput(body, create)
			check("mapping", err)
			if err == nil && create && (m.ApplicationID == "" || m.StoreID == "" || strings.ContainsAny(m.StoreID+m.ApplicationID, "/?#")) {
				t.Fatalf("mapping accepted without a clean application and store: %+v from %q", m, body)
			}
			if err == nil && m.ListIndex != nil && *m.ListIndex < 0 {
				t.Fatalf("mapping accepted listIndex %d", *m.ListIndex)
			}
		}
		// An accepted body is exactly one JSON object.
		if _, err := object(body); err == nil && body != nil {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber() // 1e400 is valid JSON, just not a float64
			if dec.Decode(&m) != nil || dec.More() {
				t.Fatalf("accepted a body that is not one JSON object: %q", body)
			}
			// It is UTF-8, and decoding it replaced nothing: a U+FFFD in
			// the decoded value was in the body, typed or escaped.
			if !utf8.Valid(body) {
				t.Fatalf("accepted a body that is not UTF-8: %q", body)
			}
			again, _ := json.Marshal(m)
			if bytes.Contains(again, []byte("\uFFFD")) || bytes.ContainsRune(again, utf8.RuneError) {
				if !bytes.ContainsRune(body, utf8.RuneError) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
					t.Fatalf("decoding replaced something with U+FFFD: %q", body)
				}
			}
			if depth(body) > maxBodyDepth {
				t.Fatalf("accepted a body nested %d deep: %q", depth(body), body)
			}
		}
	})
}

// depth is how deeply a valid JSON text nests, computed by decoding it
// (recursion is fine for a fuzzer's small inputs).
func depth(body []byte) int {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return 0
	}
	var walk func(any) int
	walk = func(v any) int {
		d := 0
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				d = max(d, walk(x))
			}
			return d + 1
		case []any:
			for _, x := range v {
				d = max(d, walk(x))
			}
			return d + 1
		}
		return 0
	}
	return walk(v)
}

// FuzzPageQuery feeds arbitrary query strings to the page parser: it
// never panics, refuses with a client error, and accepts only a page
// whose position (after) is a sort key and whose bounds hold.
func FuzzPageQuery(f *testing.F) {
	for _, s := range []string{
		"offset=5&limit=10", "limit=0", "offset=-1", "limit=101", "orderBy=createdAt",
		"after=MjAyNi0xMS0yN1QxMDowMDowMC4wMDAwMDAwMDBaI2FiYw", "after=***", "after=", "after=YQ",
		"after=MjAyNi0xMS0yN1QxMDowMDowMC4wMDAwMDAwMDBaI2EnIE9SIDE9MQ", "%%%", "offset=9999999999999999999999",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/v1/applications/x/accounts", nil)
		r.URL.RawQuery = query
		p, err := page(r, domain.KindAccount)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Code != domain.CodeInvalidQuery {
				t.Fatalf("%q: %v is not a bad-query error", query, err)
			}
			return
		}
		if p.Offset < 0 || p.Limit < 1 || p.Limit > domain.MaxLimit {
			t.Fatalf("%q: accepted %+v", query, p)
		}
		if p.After != "" && !domain.ValidSortKey(p.After) {
			t.Fatalf("%q: accepted position %q", query, p.After)
		}
	})
}

// FuzzExpand feeds arbitrary expand values: the parser never panics,
// refuses with a bad-query error, and accepts only names the kind
// expands, each once, with collection pages in bounds.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"customData", "groups(offset:0,limit:25)", "customData,apiKeys(limit:5),tenant", "groups(", "a,,b", "groups(offset:-1)", "((((", "customData(offset:1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		exps, err := parseExpand(v, domain.KindAccount)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeInvalidQuery {
				t.Fatalf("%q: %v is not a bad-query error", v, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range exps {
			coll, ok := expandable[domain.KindAccount][e.name]
			if !ok || seen[e.name] || coll != (e.page != nil) {
				t.Fatalf("%q: accepted %+v", v, e)
			}
			seen[e.name] = true
			if e.page != nil && (e.page.Offset < 0 || e.page.Limit < 1 || e.page.Limit > domain.MaxLimit) {
				t.Fatalf("%q: page %+v", v, *e.page)
			}
		}
	})
}
