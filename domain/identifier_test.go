package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// createAccount creates an account with a username (nil: defaulted) and
// an email of its own, so a conflict can only be the property under test.
func (e *env) createAccount(username *string, email string) (*domain.Account, error) {
	return e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: username, Email: ptr(email), Password: ptr("Changeme1"),
	})
}

// wantCode checks an error's kind, code and named property.
func wantCode(t *testing.T, err error, kind domain.Kind, code int, field string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v: want a *domain.Error with code %d", err, code)
	}
	if de.Kind != kind || de.Code != code || de.Field != field {
		t.Fatalf("error %q: kind %d code %d field %q, want kind %d code %d field %q", de.Message, de.Kind, de.Code, de.Field, kind, code, field)
	}
	return de
}

// TestUsernameLookAlikesConflict: usernames are unique under RFC 8265's
// UsernameCaseMapped profile, and stored as typed (NFC).
func TestUsernameLookAlikesConflict(t *testing.T) {
	e := setup(t)
	acc, err := e.createAccount(ptr("TK421"), "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Username != "TK421" {
		t.Fatalf("stored username %q, want the typed case TK421", acc.Username)
	}
	for name, u := range map[string]string{
		"lower case":       "tk421",
		"full width":       "ｔｋ４２１",
		"full width upper": "ＴＫ４２１",
		"mixed case":       "Tk421",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.createAccount(ptr(u), strings.ReplaceAll(name, " ", "-")+"@example.com")
			wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "username")
		})
	}

	// NFD "e" + U+0301 and NFC "é" are one username; the NFD input is
	// stored in NFC.
	nfd, err := e.createAccount(ptr("jose\u0301"), "nfd@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if nfd.Username != "jos\u00e9" {
		t.Fatalf("stored %q, want NFC %q", nfd.Username, "jos\u00e9")
	}
	_, err = e.createAccount(ptr("JOS\u00c9"), "nfc@example.com")
	wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "username")

	// Renaming onto a look-alike conflicts too.
	other, err := e.createAccount(ptr("vader"), "vader@example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdateAccount(context.Background(), e.admin, other.ID, domain.AccountInput{Username: ptr("ｔｋ４２１")})
	wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "username")
	// A full-width username of its own is stored as typed.
	if got, err := e.svc.UpdateAccount(context.Background(), e.admin, other.ID, domain.AccountInput{Username: ptr("ｖａｄｅｒ")}); err != nil || got.Username != "ｖａｄｅｒ" {
		t.Fatalf("rename to full width: %v %+v", err, got)
	}
}

// TestEmailsConflictCaseInsensitively: the whole address, local part
// included, is compared case-insensitively (and width-folded), and
// stored as typed.
func TestEmailsConflictCaseInsensitively(t *testing.T) {
	e := setup(t)
	acc, err := e.createAccount(ptr("first"), "TK421@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if acc.Email != "TK421@Example.com" {
		t.Fatalf("stored email %q, want it as typed", acc.Email)
	}
	for i, em := range []string{"tk421@example.com", "Tk421@EXAMPLE.COM", "ｔｋ４２１@example.com"} {
		_, err := e.createAccount(ptr("other"+string(rune('a'+i))), em)
		wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "email")
	}
}

// TestBadCharactersAreRefused: control, bidi-control, zero-width and
// unassigned characters get a 400 naming the property, in usernames,
// emails and the other text properties.
func TestBadCharactersAreRefused(t *testing.T) {
	e := setup(t)
	bad := map[string]string{
		"zero-width joiner":        "tk\u200d421",
		"zero-width non-joiner":    "tk\u200c421",
		"zero-width space":         "tk\u200b421",
		"right-to-left override":   "tk\u202e421",
		"left-to-right mark":       "tk\u200e421",
		"control":                  "tk\x01421",
		"DEL":                      "tk\x7f421",
		"C1 control":               "tk\u0085421",
		"tab":                      "tk\t421",
		"byte order mark":          "\ufefftk421",
		"soft hyphen":              "tk\u00ad421",
		"unassigned":               "tk\u0378421",
		"noncharacter":             "tk\ufdd0421",
		"private use":              "tk\ue000421",
		"hangul filler":            "tk\u3164421",
		"line separator":           "tk\u2028421",
		"variation selector":       "tk421\ufe0f",
		"invalid UTF-8":            "tk\xff421",
		"word joiner":              "tk\u2060421",
		"first strong isolate":     "tk\u2068421",
		"arabic letter mark (ALM)": "tk\u061c421",
	}
	before := e.eventCount(t)
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := e.createAccount(ptr(s), "ok@example.com")
			de := wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "username")
			if !strings.HasPrefix(de.Message, "username ") {
				t.Fatalf("message %q does not name the property", de.Message)
			}
			_, err = e.createAccount(ptr("ok"), strings.Replace(s, "421", "@example.com", 1))
			wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "email")
			_, err = e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
				Username: ptr("ok"), Email: ptr("ok@example.com"), Password: ptr("Changeme1"), GivenName: ptr("Jo" + s)})
			wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "givenName")
			_, err = e.svc.CreateGroup(context.Background(), e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr(s)})
			wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "name")
			_, err = e.svc.CreateApplication(context.Background(), e.admin, domain.ApplicationInput{Name: ptr("app"), Description: ptr(s)})
			wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "description")
		})
	}
	if n := e.eventCount(t); n != before {
		t.Fatalf("refused requests stored %d events", n-before)
	}
}

// TestJoinersWhereScriptsNeedThem: RFC 5892's context rules let the
// zero-width non-joiner stand where Persian needs it, in free text and in
// usernames, while it is refused between Latin letters (above).
func TestJoinersWhereScriptsNeedThem(t *testing.T) {
	e := setup(t)
	persian := "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645" // می‌خواهم
	acc, err := e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: ptr(persian), Email: ptr("fa@example.com"), Password: ptr("Changeme1"), Surname: ptr(persian)})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Username != persian || acc.Surname != persian {
		t.Fatalf("stored %q %q", acc.Username, acc.Surname)
	}
}

// TestUsernamePadding: leading or trailing spaces are refused (400), not
// trimmed, and so are spaces inside; names elsewhere may hold spaces.
func TestUsernamePadding(t *testing.T) {
	e := setup(t)
	for _, u := range []string{" tk421", "tk421 ", "\u00a0tk421", "tk421\u3000", "tk 421"} {
		_, err := e.createAccount(ptr(u), "pad@example.com")
		de := wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "username")
		if !strings.Contains(de.Message, "space") {
			t.Fatalf("%q: message %q does not say why", u, de.Message)
		}
	}
	for _, em := range []string{" pad@example.com", "pad@example.com "} {
		_, err := e.createAccount(ptr("pad"), em)
		wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "email")
	}
	acc, err := e.svc.CreateAccount(context.Background(), e.admin, e.boot.Application.ID, domain.AccountInput{
		Username: ptr("pad"), Email: ptr("pad@example.com"), Password: ptr("Changeme1"), GivenName: ptr("Mary Jane")})
	if err != nil || acc.GivenName != "Mary Jane" {
		t.Fatalf("a name with a space: %v", err)
	}
}

// TestMixedScripts: a username or email part that mixes scripts is
// refused (tk421 with a Cyrillic к); one script per part is fine,
// including Cyrillic, and Latin with Japanese. Whole-script look-alikes
// are NOT caught, as the README says: this test pins that limit so the
// documentation stays true.
func TestMixedScripts(t *testing.T) {
	e := setup(t)
	if _, err := e.createAccount(ptr("tk421"), "latin@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err := e.createAccount(ptr("t\u043a421"), "cyrillic-k@example.com") // Cyrillic к
	wantCode(t, err, domain.KindInvalid, domain.CodeMixedScripts, "username")
	_, err = e.createAccount(ptr("ok1"), "t\u043a421@example.com")
	wantCode(t, err, domain.KindInvalid, domain.CodeMixedScripts, "email")
	// Defaulted from a mixed email, the username is refused with the
	// email named as the cause.
	_, err = e.createAccount(nil, "t\u043a421@example.net")
	wantCode(t, err, domain.KindInvalid, domain.CodeMixedScripts, "email")

	for u, em := range map[string]string{
		"\u0438\u0432\u0430\u043d":           "ivan@example.com",        // иван
		"\u0438\u0432\u0430\u043d.petrov":    "ivan.petrov@example.com", // one script per part
		"\u5c71\u7530\u305f\u308d\u3046Taro": "yamada@example.com",      // Han, Hiragana, Latin
		"\u0441\u043e\u0441\u043e":           "coco-cyr@example.com",    // Cyrillic "сосо": not caught
		"coco":                               "coco@example.com",
		"\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.com": "", // defaulted from the email
	} {
		var err error
		if em == "" {
			_, err = e.createAccount(nil, u)
		} else {
			_, err = e.createAccount(ptr(u), em)
		}
		if err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
	// Digits and letters that look alike are not caught either.
	if _, err := e.createAccount(ptr("tk42l"), "ell@example.com"); err != nil {
		t.Errorf("tk42l: %v", err)
	}
}

// TestUsernameRules: PRECIS IdentifierClass refuses symbols and
// compatibility characters that width folding does not map; a username
// defaulted from an email that breaks these rules says so.
func TestUsernameRules(t *testing.T) {
	e := setup(t)
	for _, u := range []string{"tk\u2603", "\ufb01le", "x\u00b2", "\u210cello", "\U0001f600"} {
		_, err := e.createAccount(ptr(u), "rules@example.com")
		wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "username")
	}
	_, err := e.createAccount(nil, "\u2603@example.com")
	de := wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "username")
	if !strings.Contains(de.Message, "email cannot serve as the username") {
		t.Fatalf("message %q", de.Message)
	}
	if _, err := e.createAccount(ptr("snow"), "\u2603@example.com"); err != nil {
		t.Fatalf("a snowman email with a username: %v", err)
	}
}

// TestNameLookAlikesConflict: application and group names compare as
// RFC 8266 nicknames.
func TestNameLookAlikesConflict(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr("Sith Lords")}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"sith lords", "Sith  Lords", "Sith Lords ", "\uff33\uff49\uff54\uff48 Lords"} {
		_, err := e.svc.CreateGroup(ctx, e.admin, e.boot.Application.ID, domain.GroupInput{Name: ptr(n)})
		wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "name")
	}
	if _, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("Death Star")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.CreateApplication(ctx, e.admin, domain.ApplicationInput{Name: ptr("\uff24eath star")})
	wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "name")
}

// nested returns customData {"d": …} nested depth levels deep, counting
// the customData object as level 1.
func nested(depth int) map[string]json.RawMessage {
	return map[string]json.RawMessage{"d": json.RawMessage(strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1))}
}

// TestCustomDataLimits: nesting depth 32, 100 properties per object and
// 1,000 elements per array, each with its own message; on create and on
// update, where the top level counts after the merge.
func TestCustomDataLimits(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	set := func(m map[string]json.RawMessage) error {
		_, err := e.svc.UpdateCustomData(ctx, e.admin, domain.Ref{Kind: domain.KindAccount, ID: acc.ID}, m)
		return err
	}
	if err := set(nested(domain.MaxCustomDataDepth)); err != nil {
		t.Fatalf("32 levels: %v", err)
	}
	deep := map[string]json.RawMessage{"d": json.RawMessage(`{"a":[{"b":` + strings.Repeat("[", 28) + strings.Repeat("]", 28) + `}]}`)}
	if err := set(deep); err != nil {
		t.Fatalf("32 levels of objects and arrays: %v", err)
	}
	long := "[" + strings.Repeat("0,", domain.MaxCustomDataElements-1) + "0]"
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strings.Repeat("x", i/26) + string(rune('a'+i%26)) + `":0`)
		}
		return b.String() + "}"
	}
	if err := set(map[string]json.RawMessage{"a": json.RawMessage(long), "o": json.RawMessage(many(domain.MaxCustomDataKeys))}); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
	for name, tc := range map[string]struct {
		data map[string]json.RawMessage
		msg  string
	}{
		"33 levels":             {nested(domain.MaxCustomDataDepth + 1), "nest at most 32 levels"},
		"33 levels in objects":  {map[string]json.RawMessage{"d": json.RawMessage(`{"a":[{"b":` + strings.Repeat("[", 29) + strings.Repeat("]", 29) + `}]}`)}, "nest at most 32 levels"},
		"4,000 levels":          {nested(4000), "nest at most 32 levels"},
		"1,001 elements":        {map[string]json.RawMessage{"a": json.RawMessage("[0," + long[1:])}, "at most 1000 elements"},
		"nested long array":     {map[string]json.RawMessage{"a": json.RawMessage(`{"x":[0,` + long[1:] + `}`)}, "at most 1000 elements"},
		"101 keys in an object": {map[string]json.RawMessage{"o": json.RawMessage(many(domain.MaxCustomDataKeys + 1))}, "at most 100 properties"},
	} {
		t.Run(name, func(t *testing.T) {
			de := wantCode(t, set(tc.data), domain.KindInvalid, domain.CodeTooComplex, "customData")
			if !strings.Contains(de.Message, tc.msg) {
				t.Fatalf("message %q, want %q", de.Message, tc.msg)
			}
			_, err := e.svc.CreateAccount(ctx, e.admin, e.boot.Application.ID, domain.AccountInput{
				Email: ptr("cd@example.com"), Password: ptr("Changeme1"), CustomData: tc.data})
			wantCode(t, err, domain.KindInvalid, domain.CodeTooComplex, "customData")
		})
	}
	// The top level: 101 fields at once, or by adding to 99 already held.
	top := map[string]json.RawMessage{}
	for i := range domain.MaxCustomDataKeys + 1 {
		top["f"+strings.Repeat("x", i)] = json.RawMessage("0")
	}
	wantCode(t, set(top), domain.KindInvalid, domain.CodeTooComplex, "customData")
	delete(top, "f")
	if err := e.svc.DeleteCustomData(ctx, e.admin, domain.Ref{Kind: domain.KindAccount, ID: acc.ID}); err != nil {
		t.Fatal(err)
	}
	half := map[string]json.RawMessage{}
	for k, v := range top {
		if len(half) < domain.MaxCustomDataKeys-1 {
			half[k] = v
		}
	}
	if err := set(half); err != nil {
		t.Fatalf("99 fields: %v", err)
	}
	if err := set(map[string]json.RawMessage{"one": json.RawMessage("1")}); err != nil {
		t.Fatalf("the 100th field: %v", err)
	}
	wantCode(t, set(map[string]json.RawMessage{"two": json.RawMessage("2")}), domain.KindInvalid, domain.CodeTooComplex, "customData")
	// A customData field name with a bidi control is refused too.
	wantCode(t, set(map[string]json.RawMessage{"a\u202eb": json.RawMessage("1")}), domain.KindInvalid, domain.CodeBadCharacter, "customData")
}

// eventCount counts the events stored.
func (e *env) eventCount(t *testing.T) int {
	t.Helper()
	streams, err := e.h.Store.ReadEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, envs := range streams {
		n += len(envs)
	}
	return n
}

// legacy writes an AccountUpdated event straight to the store, bypassing
// the command's validation, as code from before these rules could have.
func (e *env) legacy(t *testing.T, acc *domain.Account, change func(*events.AccountUpdated)) *domain.Account {
	t.Helper()
	ev := events.AccountUpdated{Username: acc.Username, Email: acc.Email, GivenName: acc.GivenName,
		MiddleName: acc.MiddleName, Surname: acc.Surname, Status: acc.Status}
	change(&ev)
	env, err := events.Encode(acc.Ref().Stream(), acc.Version()+1, e.clock.Now(), events.Meta{Tenant: acc.Tenant}, ev)
	if err != nil {
		t.Fatal(err)
	}
	next := *acc
	if err := next.Apply(env); err != nil {
		t.Fatal(err)
	}
	if err := e.h.Store.Commit(context.Background(), domain.Commit{Changes: []domain.Change{{Before: acc, After: &next, Events: []events.Envelope{env}}}}); err != nil {
		t.Fatal(err)
	}
	return &next
}

// TestUnchangedValuesAreNotRejudged: SDKs send the whole resource back on
// save, so a value stored before these rules (a padded username, a tab in
// a name) must not make a save fail while it is unchanged; changing it
// applies the rules. Its uniqueness key still exists.
func TestUnchangedValuesAreNotRejudged(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.legacy(t, e.account(t, "tk421"), func(u *events.AccountUpdated) {
		u.Username, u.GivenName, u.Email = "tk 421 ", "Joe\tJr", "TK421@Example.com"
	})
	if keys := acc.UniqueKeys(); len(keys) != 2 || !strings.HasSuffix(keys[0].Key, "/tk 421 ") || !strings.HasSuffix(keys[1].Key, "/tk421@example.com") {
		t.Fatalf("legacy keys %+v", keys)
	}
	got, err := e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{
		Username: ptr(acc.Username), Email: ptr(acc.Email), GivenName: ptr(acc.GivenName), Surname: ptr("Stormtrooper")})
	if err != nil || got.Surname != "Stormtrooper" || got.Username != "tk 421 " {
		t.Fatalf("save with legacy values: %v %+v", err, got)
	}
	_, err = e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{Username: ptr("tk 422 ")})
	wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "username")
	_, err = e.svc.UpdateAccount(ctx, e.admin, acc.ID, domain.AccountInput{GivenName: ptr("Joe\tSr")})
	wantCode(t, err, domain.KindInvalid, domain.CodeBadCharacter, "givenName")
	// The legacy email's key is the new one, so a look-alike conflicts.
	_, err = e.createAccount(ptr("other"), "tk421@example.com")
	wantCode(t, err, domain.KindConflict, domain.CodeNotUnique, "email")
}
