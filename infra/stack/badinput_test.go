package stack_test

import (
	"strings"
	"testing"

	"github.com/keystorm/keystorm/infra/httpapi"
)

// The account request printed in the Stormpath guide, with its missing
// comma after the surname.
const guideAccountJSON = `{
  "givenName": "Joe",
  "surname": "Stormtrooper"
  "username": "tk421",
  "email": "tk421@stormpath.com",
  "password":"Changeme1"
}`

func TestBadInputIsRejectedAndNothingIsWritten(t *testing.T) {
	c := start(t)
	accounts := c.app + "/accounts"
	cases := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   int
	}{
		{"guide JSON without a comma", guideAccountJSON, nil, 400, 8000},
		{"not an object", `["a"]`, nil, 400, 8000},
		{"two objects", `{"email":"a@b.co"}{"email":"c@d.co"}`, nil, 400, 8000},
		{"wrong content type", `{"email":"a@b.co","password":"Changeme1"}`, []string{"Content-Type", "text/plain"}, 415, 8001},
		// Account create may carry customData, so its limit is
		// MaxCustomDataBody, not MaxBody (see TestCustomDataBodyLimits).
		{"oversized body", `{"givenName":"` + strings.Repeat("x", httpapi.MaxCustomDataBody) + `"}`, nil, 413, 8002},
		{"unknown property", `{"email":"a@b.co","password":"Changeme1","rank":"general"}`, nil, 400, 2015},
		{"wrong type", `{"email":"a@b.co","password":"Changeme1","givenName":7}`, nil, 400, 2004},
		{"missing email", `{"password":"Changeme1"}`, nil, 400, 2000},
		{"bad email", `{"email":"tk421-at-empire","password":"Changeme1"}`, nil, 400, 2006},
		{"email with display name", `{"email":"TK <tk@empire.co>","password":"Changeme1"}`, nil, 400, 2006},
		{"weak password", `{"email":"a@b.co","password":"password"}`, nil, 400, 8100},
		{"long password", `{"email":"a@b.co","password":"Aa1` + strings.Repeat("x", 100) + `"}`, nil, 400, 8100},
		{"too long name", `{"email":"a@b.co","password":"Changeme1","givenName":"` + strings.Repeat("x", 256) + `"}`, nil, 400, 2008},
		{"bad status", `{"email":"a@b.co","password":"Changeme1","status":"ON"}`, nil, 400, 2003},
		{"customData not an object", `{"email":"a@b.co","password":"Changeme1","customData":[1]}`, nil, 400, 2004},
	}
	events, views := c.eventCount(), c.viewCount()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", accounts, tc.body, tc.hdr...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if got := code(t, r); got != tc.code {
				t.Fatalf("code %d, want %d: %s", got, tc.code, r.Body)
			}
			if strings.Contains(string(r.Body), "Changeme1") {
				t.Fatal("password echoed")
			}
		})
	}
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a rejected request wrote something")
	}
	// Bad query parameters and paths.
	for _, tc := range []struct {
		method, url  string
		status, code int
	}{
		{"GET", accounts + "?limit=1000", 400, 2100},
		{"GET", accounts + "?offset=-1", 400, 2100},
		{"GET", accounts + "?limit=abc", 400, 2100},
		{"GET", accounts + "?orderBy=passwordHash", 400, 2100},
		{"GET", accounts + "?passwordHash=x", 400, 2100},
		{"GET", accounts + "?createdAt=yesterday", 400, 2100},
		{"GET", accounts + "?after=***", 400, 2100},
		{"GET", accounts + "?after=bm90IGEgcG9zaXRpb24", 400, 2100},                                    // "not a position"
		{"GET", accounts + "?after=MjAyNi0xMS0yN1QxMDowMDowMC4wMDAwMDAwMDBaI2EnIE9SIDE9MQ", 400, 2100}, // a sort key with a quote in its id
		{"PUT", accounts, 405, 8004},
		{"GET", "/v1/nothing", 404, 404},
		{"GET", "/v1/accounts/doesnotexist", 404, 404},
	} {
		r := c.do(tc.method, tc.url, nil)
		if r.Status != tc.status || code(t, r) != tc.code {
			t.Errorf("%s %s: %d %s", tc.method, tc.url, r.Status, r.Body)
		}
	}
}

func TestUpdateIgnoresServerOwnedPropertiesButNotUnknownOnes(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	// An SDK sends the whole resource back.
	acc["givenName"] = "Joseph"
	got := c.must(200, c.do("POST", acc["href"].(string), acc))
	if got["givenName"] != "Joseph" || got["fullName"] != "Joseph Stormtrooper" {
		t.Fatalf("update %v", got)
	}
	r := c.do("POST", acc["href"].(string), map[string]any{"rank": "general"})
	if r.Status != 400 || code(t, r) != 2015 || !strings.Contains(string(r.Body), "rank") {
		t.Fatalf("unknown property: %d %s", r.Status, r.Body)
	}
}
