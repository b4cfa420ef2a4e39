package stack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// The OpenAPI document (infra/httpapi/openapi.json) against a running
// stack: what the handlers really answer and accept.

// oasDoc is the committed document, parsed.
type oasDoc map[string]any

func loadOAS(t *testing.T) oasDoc {
	t.Helper()
	var d oasDoc
	if err := json.Unmarshal(httpapi.OpenAPIDocument, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d oasDoc) resolve(s map[string]any) map[string]any {
	for {
		r, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = map[string]any(d)
		for _, tok := range strings.Split(strings.TrimPrefix(r, "#/"), "/") {
			cur = cur.(map[string]any)[tok]
		}
		s = cur.(map[string]any)
	}
}

// conform lists how value departs from schema s: a wrong JSON type or
// enum value, a required property missing, or a property the schema does
// not list (stricter than JSON Schema's default: every property a
// response carries must be documented, unless the schema says
// additionalProperties: true).
func (d oasDoc) conform(at string, s map[string]any, v any) []string {
	return d.check(at, s, v, true)
}

// check is conform; strict is false for the parts of an allOf, whose
// properties count together.
func (d oasDoc) check(at string, s map[string]any, v any, strict bool) []string {
	s = d.resolve(s)
	var errs []string
	for _, sub := range anySlice(s["allOf"]) {
		errs = append(errs, d.check(at, sub.(map[string]any), v, false)...)
	}
	if alts := anySlice(s["anyOf"]); len(alts) > 0 {
		var all []string
		ok := false
		for _, alt := range alts {
			e := d.conform(at, alt.(map[string]any), v)
			ok = ok || len(e) == 0
			all = append(all, e...)
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: matches no alternative of anyOf: %v", at, all))
		}
	}
	if t, ok := s["type"]; ok {
		var types []string
		if str, ok := t.(string); ok {
			types = []string{str}
		} else {
			for _, x := range anySlice(t) {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
			return append(errs, fmt.Sprintf("%s: %s, want %v", at, jsonType(v), types))
		}
	}
	if enum := anySlice(s["enum"]); enum != nil && !slices.Contains(enum, v) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	// Properties as allOf's parts declare them too (a collection of X).
	props := map[string]any{}
	var required []any
	for _, part := range append([]any{s}, anySlice(s["allOf"])...) {
		p := d.resolve(part.(map[string]any))
		for k, v := range asMap(p["properties"]) {
			props[k] = v
		}
		required = append(required, anySlice(p["required"])...)
		if p["additionalProperties"] == true {
			props = nil
			break
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, r := range required {
			if _, ok := v[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required property %s missing", at, r))
			}
		}
		if props == nil || !strict {
			for k, ps := range asMap(s["properties"]) {
				if x, ok := v[k]; ok {
					errs = append(errs, d.conform(at+"."+k, ps.(map[string]any), x)...)
				}
			}
			break
		}
		for _, k := range sortedKeys(v) {
			ps, ok := asMap(s["properties"])[k].(map[string]any)
			if !ok && len(props) > 0 {
				if _, documented := props[k]; !documented {
					errs = append(errs, fmt.Sprintf("%s: property %s is not in the schema", at, k))
				}
				continue
			}
			if ok {
				errs = append(errs, d.conform(at+"."+k, ps, v[k])...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range v {
				errs = append(errs, d.conform(fmt.Sprintf("%s[%d]", at, i), items, x)...)
			}
		}
	}
	return errs
}

func anySlice(v any) []any       { s, _ := v.([]any); return s }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// openAPIFixture makes one of every resource, so that every GET of the
// document has something to read and every collection an item.
type openAPIFixture struct {
	ids   map[string]string // path parameter → id
	hrefs map[string]string // membership body links
}

func newOpenAPIFixture(t *testing.T, c *client) openAPIFixture {
	loc := c.do("GET", "/v1/tenants/current", nil).Header.Get("Location")
	acc := c.newAccount("openapi")
	keyID, _ := c.newKey(acc)
	g := c.must(201, c.do("POST", c.app+"/groups", map[string]any{"name": "openapi"}))
	m := c.must(201, c.do("POST", "/v1/groupMemberships", map[string]any{
		"account": map[string]any{"href": acc["href"]}, "group": map[string]any{"href": g["href"]}}))
	dir := c.must(201, c.do("POST", "/v1/directories", map[string]any{"name": "openapi"}))
	mapping := c.must(201, c.do("POST", "/v1/accountStoreMappings", map[string]any{
		"application": map[string]any{"href": c.app}, "accountStore": map[string]any{"href": dir["href"]}}))
	c.must(201, c.do("POST", dir["href"].(string)+"/accounts", map[string]any{"username": "indirectory", "email": "indirectory@example.com", "password": "Changeme1"}))
	c.must(201, c.do("POST", dir["href"].(string)+"/groups", map[string]any{"name": "indirectory"}))
	for _, h := range []string{loc, c.app, acc["href"].(string), g["href"].(string), dir["href"].(string)} {
		c.must(200, c.do("POST", h+"/customData", map[string]any{"favoriteColor": "white"}))
	}
	last := func(h string) string { return h[strings.LastIndexByte(h, '/')+1:] }
	// A session of the password grant: an access token and a refresh
	// token to read.
	st := c.must(200, c.as("", "").form("POST", c.app+"/oauth/token", "grant_type=password&username=openapi&password=Changeme1", ""))
	session := strings.TrimPrefix(st["refresh_token"].(string), domain.RefreshTokenPrefix)
	session = session[:strings.IndexByte(session, '.')]
	// A live password reset token, from the mail.
	c.must(200, c.do("POST", c.app+"/passwordResetTokens", map[string]any{"email": acc["email"]}))
	_, token := c.lastMailToken()
	return openAPIFixture{
		ids: map[string]string{"tenantId": last(loc), "applicationId": last(c.app), "accountId": last(acc["href"].(string)),
			"groupId": last(g["href"].(string)), "groupMembershipId": last(m["href"].(string)), "apiKeyId": keyID, "field": "favoriteColor",
			"accessTokenId": last(st["stormpath_access_token_href"].(string)), "refreshTokenId": session, "token": token,
			"directoryId": last(dir["href"].(string)), "accountStoreMappingId": last(mapping["href"].(string))},
		hrefs: map[string]string{"account": acc["href"].(string), "group": g["href"].(string)},
	}
}

func (f openAPIFixture) url(t *testing.T, path string) string {
	for name, id := range f.ids {
		path = strings.ReplaceAll(path, "{"+name+"}", id)
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: no fixture for a path parameter", path)
	}
	return path
}

// TestOpenAPIResponsesMatchHandlers reads every GET of the document with
// a JSON answer and checks the answer against its schema: every property
// is documented, every required one is there, types agree, and each
// collection's items are checked as well (every collection has one).
func TestOpenAPIResponsesMatchHandlers(t *testing.T) {
	c := start(t)
	doc := loadOAS(t)
	f := newOpenAPIFixture(t, c)
	checked := 0
	for _, path := range sortedKeys(asMap(doc["paths"])) {
		op, ok := asMap(asMap(doc["paths"])[path])["get"].(map[string]any)
		if !ok {
			continue
		}
		ok200 := asMap(asMap(op["responses"])["200"])
		schema, ok := asMap(asMap(asMap(ok200["content"])["application/json"]))["schema"].(map[string]any)
		if !ok {
			continue
		}
		u := f.url(t, path)
		q := url.Values{}
		for _, p := range anySlice(op["parameters"]) {
			if p := asMap(p); p["in"] == "query" && p["required"] == true {
				q.Set(p["name"].(string), f.ids["apiKeyId"]) // only the key lookup has one: id
			}
		}
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		r := c.do("GET", u, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: status %d, want 200: %s", u, r.Status, r.Body)
		}
		body := r.json(t)
		for _, e := range doc.conform("GET "+path, schema, body) {
			t.Error(e)
		}
		if items, isPage := body["items"].([]any); isPage && len(items) == 0 {
			t.Errorf("GET %s: the fixture left the collection empty, so its items went unchecked", path)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("checked %d GETs; the document lost its responses?", checked)
	}

	// The document is served as committed.
	r := c.as("", "").do("GET", "/openapi.json", nil)
	if r.Status != 200 || !bytes.Equal(r.Body, httpapi.OpenAPIDocument) {
		t.Fatalf("GET /openapi.json without credentials: %d %.200s", r.Status, r.Body)
	}

	// The POST answers that have a schema of their own.
	post := func(route string, status int, r resp) {
		t.Helper()
		method, path, _ := strings.Cut(route, " ")
		op := asMap(asMap(asMap(doc["paths"])[path])[strings.ToLower(method)])
		rs := asMap(op["responses"])
		res, ok := rs[fmt.Sprint(status)].(map[string]any)
		if !ok {
			res = asMap(rs[fmt.Sprintf("%dXX", status/100)])
		}
		schema := asMap(asMap(asMap(doc.resolve(res)["content"])["application/json"])["schema"])
		if schema == nil {
			t.Fatalf("%s: no %d JSON response in the document", route, status)
		}
		if r.Status != status {
			t.Fatalf("%s: status %d, want %d: %s", route, r.Status, status, r.Body)
		}
		for _, e := range doc.conform(route, schema, r.json(t)) {
			t.Error(e)
		}
	}
	post("POST /oauth/token", 200, c.form("POST", "/oauth/token", grant, ""))
	dev, _ := c.developer("openapi-dev") // a key of the application
	post("POST /v1/applications/{applicationId}/oauth/token", 200, dev.form("POST", c.app+"/oauth/token", grant, ""))
	tok := c.token("")
	post("POST /oauth/introspect", 200, c.form("POST", "/oauth/introspect", "token="+tok["access_token"].(string), ""))
	post("POST /oauth/introspect", 200, c.form("POST", "/oauth/introspect", "token=nonsense", ""))
	post("POST /v1/applications/{applicationId}/authenticate", 200, c.do("POST", c.app+"/authenticate",
		map[string]any{"authorization": "Bearer " + tok["access_token"].(string)}))
	post("POST /v1/applications/{applicationId}/authenticate", 200, c.do("POST", c.app+"/authenticate",
		map[string]any{"authorization": "Basic bm9wZTpub3Bl"}))
	post("POST /v1/groupMemberships", 400, c.do("POST", "/v1/groupMemberships", map[string]any{}))
}

// TestOpenAPIRequestBodiesMatchParsers posts, to every operation with a
// JSON body, each documented property alone (never refused as unknown,
// code 2015), and an undocumented one beside the required properties
// (refused as unknown, by name) — unless the schema allows any property.
func TestOpenAPIRequestBodiesMatchParsers(t *testing.T) {
	c := start(t)
	doc := loadOAS(t)
	f := newOpenAPIFixture(t, c)
	example := func(name string, s map[string]any) any {
		s = doc.resolve(s)
		if name == "account" || name == "group" {
			return map[string]any{"href": f.hrefs[name]}
		}
		if name == "authorization" {
			return "Basic bm9wZTpub3Bl"
		}
		types := []any{s["type"]}
		if l := anySlice(s["type"]); l != nil {
			types = l
		}
		switch {
		case len(anySlice(s["enum"])) > 0:
			return anySlice(s["enum"])[0]
		case slices.Contains(types, "array"):
			return []any{}
		case slices.Contains(types, "object"):
			return map[string]any{}
		case slices.Contains(types, "boolean"):
			return false
		}
		return "openapi-x"
	}
	checked := 0
	for _, path := range sortedKeys(asMap(doc["paths"])) {
		op := asMap(asMap(asMap(doc["paths"])[path])["post"])
		schema, ok := asMap(asMap(asMap(op["requestBody"])["content"])["application/json"])["schema"].(map[string]any)
		if !ok {
			continue
		}
		route := "POST " + path
		u := f.url(t, path)
		s := doc.resolve(schema)
		props := asMap(s["properties"])
		for _, name := range sortedKeys(props) {
			r := c.do("POST", u, map[string]any{name: example(name, props[name].(map[string]any))})
			if r.Status >= 400 && code(t, r) == domain.CodeUnknownProperty {
				t.Errorf("%s: documented property %s refused as unknown: %s", route, name, r.Body)
			}
			checked++
		}
		body := map[string]any{"undocumentedProperty": "x"}
		for _, r := range anySlice(s["required"]) {
			body[r.(string)] = example(r.(string), props[r.(string)].(map[string]any))
		}
		r := c.do("POST", u, body)
		if s["additionalProperties"] == true {
			if r.Status != 200 {
				t.Errorf("%s: a free-form body: %d %s", route, r.Status, r.Body)
			}
			continue
		}
		if r.Status != 400 || code(t, r) != domain.CodeUnknownProperty || !strings.Contains(string(r.Body), "undocumentedProperty") {
			t.Errorf("%s: an undocumented property: %d %s, want 400 with code %d naming it", route, r.Status, r.Body, domain.CodeUnknownProperty)
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d properties; the document lost its request bodies?", checked)
	}
}
