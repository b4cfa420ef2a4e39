package stack_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/stormpath/exportgen"
)

// storedAccount reads an account's state from the store, hash included
// (the API never shows it).
func (c *client) storedAccount(href string) *domain.Account {
	c.t.Helper()
	acc := &domain.Account{}
	if err := c.s.Store.Load(context.Background(), domain.Ref{Kind: domain.KindAccount, ID: lastSegment(href)}, acc); err != nil {
		c.t.Fatal(err)
	}
	return acc
}

// TestImportPasswordHashes: passwordFormat=mcf over HTTP on both stores:
// Stormpath's vector, stormpath2 SHA-256 and SHA-512 with several
// iterations and bcrypt, none under the password policy; the first
// login (loginAttempts or the password grant) re-hashes to argon2id, the
// password keeps working, and the grant's session stays valid; bad
// hashes and formats are 400s that store nothing.
func TestImportPasswordHashes(t *testing.T) {
	for name, start := range map[string]func(testing.TB) *client{
		"sqlite": start, "dynamodb": func(t testing.TB) *client { return startDynamo(t, 0) },
	} {
		t.Run(name, func(t *testing.T) { testImportPasswordHashes(t, start(t)) })
	}
}

func testImportPasswordHashes(t *testing.T, c *client) {
	made, err := bcrypt.GenerateFromPassword([]byte("letmein"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ user, mcf, password string }{
		{"vector", exportgen.VectorHash, "123456"},
		{"sha256", exportgen.Stormpath2("SHA-256", 500, []byte("pepper"), "sesame"), "sesame"},
		{"sha512", exportgen.Stormpath2("SHA-512", 3, []byte("grain of salt"), "hunter2"), "hunter2"},
		{"bcrypt", "$2b$" + string(made[4:]), "letmein"},
	}
	for i, k := range cases {
		acc := c.must(201, c.do("POST", c.app+"/accounts?passwordFormat=mcf", map[string]any{
			"username": k.user, "email": k.user + "@example.com", "password": k.mcf}))
		self := acc["href"].(string)
		if _, has := acc["password"]; has || strings.Contains(fmt.Sprint(acc), k.mcf) {
			t.Fatalf("%s: the answer shows the hash: %v", k.user, acc)
		}
		if got := c.storedAccount(self).PasswordHash; got != k.mcf {
			t.Fatalf("%s: stored %q", k.user, got)
		}
		loginErr(t, c.login(k.user, k.password+"!"), 400, domain.CodeLoginFailed)
		var session map[string]any
		if i%2 == 0 {
			if got := c.must(200, c.login(k.user, k.password)); href(got, "account") != self {
				t.Fatalf("%s: login %v", k.user, got)
			}
		} else {
			session = c.signIn(k.user, k.password)
		}
		stored := c.storedAccount(self)
		if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
			t.Fatalf("%s: after the first login the hash is %q", k.user, stored.PasswordHash)
		}
		streams, err := c.s.Store.ReadEvents(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		envs := streams["account#"+stored.ID]
		if last := envs[len(envs)-1]; last.Type != events.TypeAccountPasswordRehashed || envs[len(envs)-2].Type != events.TypeLoginSucceeded {
			t.Fatalf("%s: the stream ends with %s", k.user, last.Type)
		}
		// The password still works, now against argon2id.
		c.must(200, c.login(k.user, k.password))
		loginErr(t, c.login(k.user, k.password+"!"), 400, domain.CodeLoginFailed)
		if session != nil {
			// The session that re-hashed is alive: its token reads its
			// account, and its refresh token refreshes.
			tok := session["access_token"].(string)
			if got := c.must(200, c.bearerDo(tok, "GET", self, nil)); got["username"] != k.user {
				t.Fatalf("%s: self read %v", k.user, got)
			}
			next := c.must(200, c.as("", "").form("POST", c.app+"/oauth/token",
				"grant_type=refresh_token&refresh_token="+url.QueryEscape(session["refresh_token"].(string)), ""))
			c.must(200, c.bearerDo(next["access_token"].(string), "GET", self, nil))
		}
	}

	// Refusals store nothing.
	events, views := c.eventCount(), c.viewCount()
	tooMany := strings.Replace(exportgen.Stormpath2("SHA-256", 1, []byte("s"), "pw"), "$1$", "$1000001$", 1)
	for _, r := range []struct {
		query, password string
		status, code    int
	}{
		{"?passwordFormat=mcf", "$stormpath1$c2FsdA==$aGFzaA==", 400, domain.CodeBadPasswordHash},
		{"?passwordFormat=mcf", "garbage", 400, domain.CodeBadPasswordHash},
		{"?passwordFormat=mcf", tooMany, 400, domain.CodeBadPasswordHash},
		{"?passwordFormat=mcf", "$2x$" + string(made[4:]), 400, domain.CodeBadPasswordHash},
		{"?passwordFormat=sha", exportgen.VectorHash, 400, domain.CodeInvalidQuery},
		{"", exportgen.VectorHash, 400, domain.CodeHashAsPassword},
		{"", "123456", 400, domain.CodeWeakPassword},
	} {
		res := c.do("POST", c.app+"/accounts"+r.query, map[string]any{"username": "refused", "email": "refused@example.com", "password": r.password})
		if res.Status != r.status || code(t, res) != r.code {
			t.Fatalf("%s %q: %d %s", r.query, r.password, res.Status, res.Body)
		}
		if m := res.json(t); !strings.Contains(m["developerMessage"].(string), "'password") {
			t.Fatalf("%s %q: the message names neither password nor passwordFormat: %s", r.query, r.password, res.Body)
		}
		if strings.Contains(string(res.Body), r.password) && len(r.password) > 12 {
			t.Fatalf("the answer repeats the hash: %s", res.Body)
		}
	}
	if c.eventCount() != events || c.viewCount() != views {
		t.Fatal("a refused import stored something")
	}

	// An update imports too; the next login re-hashes.
	acc := c.newAccount("updated")
	mcf := exportgen.Stormpath2("SHA-512", 7, []byte("salt"), "newer secret")
	c.must(200, c.do("POST", acc["href"].(string)+"?passwordFormat=mcf", map[string]any{"password": mcf}))
	if got := c.storedAccount(acc["href"].(string)).PasswordHash; got != mcf {
		t.Fatalf("update stored %q", got)
	}
	loginErr(t, c.login("updated", "Changeme1"), 400, domain.CodeLoginFailed)
	c.must(200, c.login("updated", "newer secret"))
	if got := c.storedAccount(acc["href"].(string)).PasswordHash; !strings.HasPrefix(got, "$argon2id$") {
		t.Fatalf("after the login: %q", got)
	}
}
