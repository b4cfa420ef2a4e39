package stack_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// account posts an account with its own email, so a conflict can only
// be the property under test.
func (c *client) account(username, email string) resp {
	c.t.Helper()
	body := map[string]any{"email": email, "password": "Changeme1", "givenName": "Joe"}
	if username != "" {
		body["username"] = username
	}
	return c.do("POST", c.app+"/accounts", body)
}

// wantError checks an error answer's status, code, and that its message
// names what it is about.
func wantError(t *testing.T, r resp, status, wantCode int, mention string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if got := code(t, r); got != wantCode {
		t.Fatalf("code %d, want %d: %s", got, wantCode, r.Body)
	}
	if !strings.Contains(string(r.Body), mention) {
		t.Fatalf("answer does not mention %q: %s", mention, r.Body)
	}
}

// TestLookAlikeIdentifiers walks the attacker's findings over HTTP:
// look-alike usernames and emails are one identity (409), invisible and
// reordering characters are refused (400), and nothing refused is stored.
func TestLookAlikeIdentifiers(t *testing.T) {
	c := start(t)
	first := c.must(201, c.account("TK421", "TK421@Example.com"))
	if first["username"] != "TK421" || first["email"] != "TK421@Example.com" {
		t.Fatalf("stored %v %v, want them as typed", first["username"], first["email"])
	}
	got := c.must(200, c.do("GET", first["href"].(string), nil))
	if got["username"] != "TK421" {
		t.Fatalf("read back %v", got["username"])
	}
	c.must(201, c.account("jos\u00e9", "nfc@example.com")) // NFC é

	events, views := c.eventCount(), c.viewCount()
	for _, tc := range []struct {
		name, username, email string
		status, code          int
		mention               string
	}{
		{"full width", "ｔｋ４２１", "fw@example.com", 409, 2001, "username"},
		{"lower case", "tk421", "lc@example.com", 409, 2001, "username"},
		{"NFD of an NFC username", "jose\u0301", "nfd@example.com", 409, 2001, "username"},
		{"email in other case", "other1", "tk421@example.com", 409, 2001, "email"},
		{"email in full width", "other2", "ｔｋ４２１@example.com", 409, 2001, "email"},
		{"Cyrillic к", "t\u043a421", "cyr@example.com", 400, 8102, "username"},
		{"Cyrillic к in the email", "other3", "t\u043a421@example.com", 400, 8102, "email"},
		{"zero-width joiner", "tk\u200d421", "zwj@example.com", 400, 8101, "username"},
		{"zero-width space", "tk\u200b421", "zws@example.com", 400, 8101, "username"},
		{"right-to-left override", "tk\u202e421", "rlo@example.com", 400, 8101, "U+202E"},
		{"control character", "tk\u0007421", "bel@example.com", 400, 8101, "control"},
		{"zero-width joiner in the email", "other4", "tk\u200d421@example.com", 400, 8101, "email"},
		{"leading space", " tk421", "lead@example.com", 400, 8101, "begin or end with spaces"},
		{"trailing space", "tk421 ", "trail@example.com", 400, 8101, "begin or end with spaces"},
		{"space-padded email", "other5", " pad@example.com ", 400, 8101, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.account(tc.username, tc.email), tc.status, tc.code, tc.mention)
		})
	}
	// Other text properties.
	r := c.do("POST", c.app+"/accounts", map[string]any{"email": "n@example.com", "password": "Changeme1", "surname": "Trooper\u202e"})
	wantError(t, r, 400, 8101, "surname")
	r = c.do("POST", c.app+"/groups", map[string]any{"name": "admins\u200b"})
	wantError(t, r, 400, 8101, "name")
	r = c.do("POST", c.base+"/v1/applications", map[string]any{"name": "App\u0000"})
	wantError(t, r, 400, 8101, "name")
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a refused request wrote something")
	}
}

// TestBodiesMustBeUTF8: bytes that are not UTF-8, or a \u escape of half
// a surrogate pair, are refused with 8000 instead of being replaced by
// U+FFFD and stored.
func TestBodiesMustBeUTF8(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	events, views := c.eventCount(), c.viewCount()
	for name, body := range map[string][]byte{
		"bad byte in a username":      []byte(`{"username":"tk` + "\xff" + `421","email":"u@example.com","password":"Changeme1"}`),
		"overlong encoding":           []byte(`{"username":"tk` + "\xc0\xaf" + `","email":"u@example.com","password":"Changeme1"}`),
		"encoded surrogate":           []byte(`{"username":"tk` + "\xed\xa0\x80" + `","email":"u@example.com","password":"Changeme1"}`),
		"bad byte in a property name": []byte(`{"username":"tk","email":"u@example.com","password":"Changeme1","` + "\xfe" + `":1}`),
		"lone high surrogate escape":  []byte(`{"username":"tk\ud800","email":"u@example.com","password":"Changeme1"}`),
		"lone low surrogate escape":   []byte(`{"username":"tk","email":"u@example.com","password":"Changeme1","customData":{"a":"\udc00"}}`),
		"reversed surrogate pair":     []byte(`{"username":"tk\udc00\ud800","email":"u@example.com","password":"Changeme1"}`),
	} {
		t.Run(name, func(t *testing.T) {
			wantError(t, c.do("POST", c.app+"/accounts", body), 400, 8000, "request body")
		})
	}
	// customData, written on its own resource.
	wantError(t, c.do("POST", href(acc, "customData"), []byte(`{"rank":"`+"\x80"+`"}`)), 400, 8000, "UTF-8")
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a refused request wrote something")
	}
	// A valid surrogate pair is a character like any other.
	ok := c.must(201, c.do("POST", c.app+"/accounts", []byte(`{"email":"pair@example.com","password":"Changeme1","surname":"\ud83d\ude00"}`)))
	if ok["surname"] != "\U0001f600" {
		t.Fatalf("surname %q", ok["surname"])
	}
}

// TestOAuthFormMustBeUTF8: bad bytes in the token endpoint's form, raw or
// percent-encoded, in any parameter, are invalid_request, not ignored.
func TestOAuthFormMustBeUTF8(t *testing.T) {
	c := start(t)
	dev, _ := c.developer("tk421")
	for name, body := range map[string]string{
		"raw byte":             grant + "&note=\xff",
		"percent-encoded byte": grant + "&note=%FF",
		"percent-encoded name": grant + "&%FF=1",
		"in the scope":         grant + "&scope=%C0%AF",
	} {
		t.Run("oauth "+name, func(t *testing.T) {
			oauthErr(t, dev.form("POST", "/oauth/token", body, ""), 400, "invalid_request")
		})
	}
}

// nestedCustomData is customData {"d": …} nesting depth levels deep, the
// customData object being level 1.
func nestedCustomData(depth int) string {
	return `{"d":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

// TestCustomDataShapeLimits: depth 32, 100 properties per object and
// 1,000 elements per array, over HTTP, on create and on the customData
// resource; a body nested 4,000 deep is refused before it is decoded
// into anything.
func TestCustomDataShapeLimits(t *testing.T) {
	c := start(t)
	acc := c.newAccount("tk421")
	cd := href(acc, "customData")
	c.must(200, c.do("POST", cd, nestedCustomData(32)))
	got := c.must(200, c.do("GET", cd, nil))
	if b, _ := json.Marshal(got["d"]); strings.Count(string(b), "[") != 31 {
		t.Fatalf("read back %s", b)
	}
	c.must(201, c.do("POST", c.app+"/accounts", `{"email":"deep@example.com","password":"Changeme1","customData":`+nestedCustomData(32)+`}`))

	keys := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `"k` + strings.Repeat("x", i) + `":0`
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	elems := func(n int) string { return "[" + strings.Repeat("0,", n-1) + "0]" }
	c.must(200, c.do("POST", cd, `{"o":`+keys(100)+`,"a":`+elems(1000)+`}`))

	events, views := c.eventCount(), c.viewCount()
	for _, tc := range []struct {
		name, body, mention string
	}{
		{"33 levels", nestedCustomData(33), "at most 32 levels"},
		{"4,000 levels", nestedCustomData(4000), "levels deep"},
		{"101 properties in an object", `{"o":` + keys(101) + `}`, "at most 100 properties"},
		{"1,001 elements in an array", `{"a":` + elems(1001) + `}`, "at most 1000 elements"},
		{"1,001 elements, nested", `{"a":{"b":[` + elems(1001) + `]}}`, "at most 1000 elements"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.do("POST", cd, tc.body), 400, 8103, tc.mention)
			wantError(t, c.do("POST", c.app+"/accounts", `{"email":"cd@example.com","password":"Changeme1","customData":`+tc.body+`}`), 400, 8103, tc.mention)
		})
	}
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a refused request wrote something")
	}
}
