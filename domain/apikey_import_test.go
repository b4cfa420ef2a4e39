package domain_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// importedID is a Stormpath-shaped key id: 25 digits and upper-case
// letters.
const importedID = "4M1QDS6GJ8XRQ3WH2P0KZ5LTB"

// stormpathSecret is a secret as Stormpath exported them: base64 (with +
// and /) of random bytes, here 30 bytes of a hash so tests repeat.
func stormpathSecret(seed string) string {
	sum := sha512.Sum512([]byte(seed))
	return base64.StdEncoding.EncodeToString(sum[:30])
}

func (e *env) importKey(t *testing.T, accountID, id, secret string) domain.CreatedAPIKey {
	t.Helper()
	ck, err := e.svc.CreateAPIKey(context.Background(), e.admin, accountID, domain.APIKeyInput{Name: ptr("imported"), Import: &domain.KeyImport{ID: id, Secret: secret}})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return ck
}

// TestImportAPIKey: an admin creates a key with a given id and secret; it
// is stored as SHA-256, marked imported, not echoed, and authenticates
// like ours. A reroll gives a kss_ secret, and the imported one keeps
// working for the grace.
func TestImportAPIKey(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	secret := stormpathSecret("tk421")
	ck := e.importKey(t, acc.ID, importedID, secret)
	if ck.Secret != "" || ck.Key.ID != importedID || !ck.Key.Imported || ck.Key.SecretHash != domain.HashSecret(secret) || ck.Key.Name != "imported" {
		t.Fatalf("imported %+v, secret %q", ck.Key, ck.Secret)
	}
	got, err := e.svc.GetAPIKey(ctx, e.admin, importedID)
	if err != nil || !got.Imported || got.AccountID != acc.ID {
		t.Fatalf("get: %v %+v", err, got)
	}
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock}
	if p, err := auth.Authenticate(ctx, importedID, secret); err != nil || p.AccountID != acc.ID || p.KeyID != importedID {
		t.Fatalf("auth: %v %+v", err, p)
	}
	for _, wrong := range []string{stormpathSecret("other"), secret + "A", strings.TrimRight(secret, "=")[1:]} {
		if _, err := auth.Authenticate(ctx, importedID, wrong); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("wrong secret: %v", err)
		}
	}
	// Ours still authenticate (the admin's kss_ key).
	if _, err := auth.Authenticate(ctx, e.boot.AdminKey.ID, e.boot.AdminSecret); err != nil {
		t.Fatal(err)
	}

	rr, err := e.svc.RerollAPIKey(ctx, e.admin, importedID, time.Hour)
	if err != nil || !domain.WellFormedSecret(rr.Secret) || !rr.Key.Imported {
		t.Fatalf("reroll: %v %q %+v", err, rr.Secret, rr.Key)
	}
	for _, s := range []string{rr.Secret, secret} {
		if _, err := auth.Authenticate(ctx, importedID, s); err != nil {
			t.Fatalf("within the grace: %v", err)
		}
	}
	e.clock.Advance(time.Hour + time.Second)
	if _, err := auth.Authenticate(ctx, importedID, secret); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("imported secret after the grace: %v", err)
	}
	if _, err := auth.Authenticate(ctx, importedID, rr.Secret); err != nil {
		t.Fatalf("new secret: %v", err)
	}
}

// TestImportedKeyCostsLikeOurs: for a non-kss_ secret an unknown key id
// costs exactly what a wrong secret of an imported key costs (one
// GetItem), while a secret that could be no key's costs no read at all.
func TestImportedKeyCostsLikeOurs(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	e.importKey(t, acc.ID, importedID, stormpathSecret("tk421"))
	auth := &domain.KeyAuthenticator{Store: e.h.Store, Clock: e.clock}
	reads := func(id, secret string) map[string]int64 {
		t.Helper()
		e.h.Counter.Reset()
		if _, err := auth.Authenticate(ctx, id, secret); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("%s: %v", id, err)
		}
		return e.h.Counter.Snapshot()
	}
	wrong := stormpathSecret("wrong")
	known := reads(importedID, wrong)
	unknown := reads("ZZZZZZZZZZZZZZZZZZZZZZZZZ", wrong)
	if !maps.Equal(known, unknown) || !maps.Equal(known, map[string]int64{"GetItem": 1}) {
		t.Fatalf("wrong secret read %v, unknown id %v; want one GetItem each", known, unknown)
	}
	for _, junk := range []string{"short", strings.Repeat("A", 129), "kss_" + wrong, "has space in it " + wrong, "é" + wrong} {
		if got := reads(importedID, junk); len(got) != 0 {
			t.Fatalf("%.20q read %v, want nothing", junk, got)
		}
	}
}

// TestImportedSecretGuessesThrottled: wrong secrets that could be an
// imported key's count as guesses at the token endpoint, as wrong kss_
// secrets do; secrets that could be no key's do not.
func TestImportedSecretGuessesThrottled(t *testing.T) {
	e := setupIssue(t)
	e.tokens.Throttle = domain.NewThrottle(e.clock)
	ctx := context.Background()
	secret := stormpathSecret("tk421")
	e.importKey(t, e.acc.ID, importedID, secret)
	issue := func(s string) error {
		_, err := e.tokens.Issue(ctx, domain.TokenRequest{KeyID: importedID, Secret: s, BaseURL: "https://keystorm.test", Source: "192.0.2.1"})
		return err
	}
	if err := issue(secret); err != nil {
		t.Fatalf("token for an imported key: %v", err)
	}
	for range 20 {
		wantInvalidClient(t, issue("short"), "junk secret")
	}
	if err := issue(secret); err != nil {
		t.Fatalf("junk secrets counted as guesses: %v", err)
	}
	// Ten failures are free; the eleventh makes the source wait.
	for range 11 {
		wantInvalidClient(t, issue(stormpathSecret("guess")), "wrong secret")
	}
	var oe *domain.OAuthError
	if err := issue(secret); !errors.As(err, &oe) || oe.RetryAfter <= 0 {
		t.Fatalf("after 11 wrong guesses: %v, want a wait", err)
	}
}

// TestImportAPIKeyRefused: bad ids, weak secrets and callers other than
// admin keys are refused, and nothing is stored; a taken id is 409.
func TestImportAPIKeyRefused(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	acc := e.account(t, "tk421")
	good := stormpathSecret("tk421")
	size := func() int {
		t.Helper()
		l, err := e.svc.ListAPIKeys(ctx, e.admin, acc.ID, domain.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return l.Size
	}
	try := func(c domain.Caller, id, secret string) error {
		_, err := e.svc.CreateAPIKey(ctx, c, acc.ID, domain.APIKeyInput{Import: &domain.KeyImport{ID: id, Secret: secret}})
		return err
	}
	cases := []struct {
		name, id, secret string
		code             int
		field            string
	}{
		{"no id", "", good, domain.CodeRequired, "id"},
		{"no secret", importedID, "", domain.CodeRequired, "secret"},
		{"short id", importedID[:24], good, domain.CodeInvalidValue, "id"},
		{"long id", importedID + "A", good, domain.CodeInvalidValue, "id"},
		{"lower-case id", strings.ToLower(importedID), good, domain.CodeInvalidValue, "id"},
		{"id with a dash", importedID[:24] + "-", good, domain.CodeInvalidValue, "id"},
		{"21 characters", importedID, good[:21], domain.CodeWeakSecret, "secret"},
		{"21 characters and padding", importedID, good[:21] + "==", domain.CodeWeakSecret, "secret"},
		{"three = of padding", importedID, good[:30] + "===", domain.CodeWeakSecret, "secret"},
		{"= inside", importedID, good[:15] + "=" + good[15:30], domain.CodeWeakSecret, "secret"},
		{"a space", importedID, good[:15] + " " + good[15:30], domain.CodeWeakSecret, "secret"},
		{"a dot", importedID, good[:15] + "." + good[15:30], domain.CodeWeakSecret, "secret"},
		{"non-ASCII", importedID, good[:15] + "é" + good[15:30], domain.CodeWeakSecret, "secret"},
		{"129 characters", importedID, strings.Repeat(good, 4)[:129], domain.CodeWeakSecret, "secret"},
		{"one character", importedID, strings.Repeat("a", 40), domain.CodeWeakSecret, "secret"},
		{"seven characters", importedID, strings.Repeat("abcdefg", 6), domain.CodeWeakSecret, "secret"},
		{"31 hex digits", importedID, "0123456789abcdef0123456789abcde", domain.CodeWeakSecret, "secret"},
		{"38 decimal digits", importedID, "01234567890123456789012345678901234567", domain.CodeWeakSecret, "secret"},
		{"24 upper-case alphanumerics", importedID, "0123456789ABCDEFGHIJKLMN", domain.CodeWeakSecret, "secret"},
		{"kss_ with a wrong checksum", importedID, e.boot.AdminSecret[:len(e.boot.AdminSecret)-1] + "x", domain.CodeWeakSecret, "secret"},
		{"kss_ too short", importedID, "kss_" + good, domain.CodeWeakSecret, "secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			de := wantCode(t, try(e.admin, tc.id, tc.secret), domain.KindInvalid, tc.code, tc.field)
			if tc.secret != "" && len(tc.secret) > 8 && strings.Contains(de.Message, tc.secret) {
				t.Fatalf("the message echoes the secret: %q", de.Message)
			}
			if tc.code == domain.CodeWeakSecret && de.Message != domain.ImportedSecretRule {
				t.Fatalf("message %q does not state the rule", de.Message)
			}
		})
	}
	if n := size(); n != 0 {
		t.Fatalf("refused imports stored %d keys", n)
	}

	// Callers other than admin keys: a session is told the properties do
	// not exist; a developer's key may not call the management API.
	session := domain.Caller{TenantID: e.boot.Tenant.ID, AccountID: acc.ID, Session: "rt_session"}
	wantCode(t, try(session, importedID, good), domain.KindInvalid, domain.CodeUnknownProperty, "id")
	wantCode(t, try(session, "", good), domain.KindInvalid, domain.CodeUnknownProperty, "secret")
	dev := domain.Caller{TenantID: e.boot.Tenant.ID, AccountID: acc.ID, KeyID: "DEVKEY"}
	wantKind(t, try(dev, importedID, good), domain.KindForbidden)
	if n := size(); n != 0 {
		t.Fatalf("refused callers stored %d keys", n)
	}

	// Taken ids: a live key's, ours, another tenant's and a deleted key's.
	ck := e.importKey(t, acc.ID, importedID, good)
	wantCode(t, try(e.admin, importedID, stormpathSecret("again")), domain.KindConflict, domain.CodeNotUnique, "id")
	wantCode(t, try(e.admin, e.boot.AdminKey.ID, stormpathSecret("again")), domain.KindConflict, domain.CodeNotUnique, "id")
	other, err := e.svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, try(e.admin, other.AdminKey.ID, stormpathSecret("again")), domain.KindConflict, domain.CodeNotUnique, "id")
	if err := e.svc.DeleteAPIKey(ctx, e.admin, ck.Key.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, try(e.admin, importedID, stormpathSecret("again")), domain.KindConflict, domain.CodeNotUnique, "id")
	if n := size(); n != 0 {
		t.Fatalf("taken ids stored %d keys", n)
	}
	// An update never sets a secret.
	k, err := e.svc.CreateAPIKey(ctx, e.admin, acc.ID, domain.APIKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdateAPIKey(ctx, e.admin, k.Key.ID, domain.APIKeyInput{Import: &domain.KeyImport{ID: k.Key.ID, Secret: good}})
	wantCode(t, err, domain.KindInvalid, domain.CodeUnknownProperty, "secret")
}

// TestImportedSecretRule: the rule's edges, each side.
func TestImportedSecretRule(t *testing.T) {
	ok := []string{
		stormpathSecret("a"), // base64 with + and /, 40 characters
		base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef")), // 22 base64url characters
		base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")),    // the same with ==
		"0123456789abcdef0123456789abcdef",                               // 32 hex digits
		"0123456789ABCDEF0123456789ABCDEF",                               // 32 upper-case hex digits
		"012345678901234567890123456789012345678",                        // 39 digits
		"0123456789ABCDEFGHIJKLMNO",                                      // 25 of one case
		"0123456789abcdefghijklmno",                                      // 25 of one case
		"abcdefghABCDEFGHabcdefgh",                                       // 24, both cases
		strings.Repeat(stormpathSecret("b"), 4)[:128],                    // the longest
	}
	for _, s := range ok {
		if err := domain.CheckImportedSecret(s); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
		if !domain.CandidateSecret(s) {
			t.Errorf("%q accepted for import but refused unread at authentication", s)
		}
	}
	for _, s := range []string{"", "kss_", strings.Repeat("x", 53), "0123456789abcdef0123456789abcde", strings.Repeat("A", 21), strings.Repeat("A", 129), "kss_" + strings.Repeat("A", 49)} {
		if domain.CandidateSecret(s) {
			t.Errorf("%.30q is a candidate", s)
		}
	}
}

// FuzzImportedSecret holds the import rule and authentication's check
// together: exactly what is importable is a candidate, every candidate
// is bounded, and neither panics.
func FuzzImportedSecret(f *testing.F) {
	for _, s := range []string{"", "kss_", stormpathSecret("seed"), "0123456789abcdef0123456789abcdef", strings.Repeat("a", 40), "abc==", "==", "kss_" + stormpathSecret("x")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cand := domain.CandidateSecret(s)
		if (domain.CheckImportedSecret(s) == nil) != cand {
			t.Fatalf("%q: importable %v, candidate %v", s, domain.CheckImportedSecret(s) == nil, cand)
		}
		if domain.WellFormedSecret(s) && !cand {
			t.Fatalf("%q well formed but not a candidate", s)
		}
		if cand && len(s) > domain.MaxImportedSecretLen {
			t.Fatalf("candidate of %d bytes", len(s))
		}
		if cand && strings.HasPrefix(s, domain.SecretPrefix) && !domain.WellFormedSecret(s) {
			t.Fatalf("%q: a kss_ candidate must be well formed", s)
		}
	})
}
