package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// The console over plain HTTP, against the whole local stack: every
// rule a browser test would take long to show.

func TestHeadersAndCookiesOnLocalhost(t *testing.T) {
	st := startSite(t, "")
	b := st.browser()
	p := b.get("/console/signin")
	want(t, p, http.StatusOK, "Username or email", "Password", ">Sign in</button>")
	csp := p.header.Get("Content-Security-Policy")
	for _, part := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, part) {
			t.Errorf("CSP %q lacks %q", csp, part)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP allows something unsafe: %q", csp)
	}
	if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "style=") || strings.Contains(p.body, " on") && strings.Contains(p.body, "onclick") {
		t.Error("the page has inline script or style")
	}
	if got := p.header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q", got)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", p.header.Get("Cache-Control"))
	}
	set := strings.Join(p.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(set, "ks_csrf=") || !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") || strings.Contains(set, "Secure") {
		t.Errorf("CSRF cookie on plain-http localhost: %s", set)
	}
	// The assets are served, versioned, with the same headers.
	for _, a := range []string{"console.css", "console.js"} {
		r := b.get("/console/static/" + a)
		if r.status != http.StatusOK || r.header.Get("Content-Security-Policy") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", a, r.status, r.header)
		}
	}
	want(t, b.get("/console/nothing"), http.StatusNotFound, "There is nothing here")
	want(t, b.get("/console/static/nothing.js"), http.StatusNotFound)
	want(t, b.get("/console/signout"), http.StatusMethodNotAllowed)
	// A signed-out browser is sent to sign in.
	wantRedirect(t, b.get("/console/keys"), "/console/signin")
	wantRedirect(t, b.get("/console"), "/console/signin")
}

func TestCookiesAreSecureBehindHTTPS(t *testing.T) {
	st := startSite(t, "https://keystorm.example/prod")
	st.account("tk421", "Changeme1")
	b := st.browser()
	// The test server is plain http; the cookies' names and attributes
	// are what matters.
	p := b.get("/console/signin")
	want(t, p, http.StatusOK, `action="/prod/console/signin"`, `href="/prod/console/static/console.css?v=`)
	set := strings.Join(p.header.Values("Set-Cookie"), "\n")
	if !strings.Contains(set, "__Host-ks_csrf=") || !strings.Contains(set, "Secure") || !strings.Contains(set, "Path=/;") {
		t.Fatalf("cookies behind https: %s", set)
	}
	// Sign in by hand: the jar keeps no Secure cookie for http.
	csrf := strings.SplitN(strings.SplitN(set, "__Host-ks_csrf=", 2)[1], ";", 2)[0]
	req, _ := http.NewRequest("POST", st.URL+"/console/signin", strings.NewReader(form("login", "tk421", "password", "Changeme1", "csrf", b.csrf).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "__Host-ks_csrf", Value: csrf})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/prod/console/keys" ||
		!strings.Contains(session, "__Host-ks_session=") || !strings.Contains(session, "Secure") || !strings.Contains(session, "HttpOnly") {
		t.Fatalf("sign in behind https: %d %s", resp.StatusCode, session)
	}
}

func TestFormsNeedTheirToken(t *testing.T) {
	st := startSite(t, "")
	acc := st.account("tk421", "Changeme1")
	b := st.browser()
	b.get("/console/signin")
	// No token, a wrong one, or another site's post: refused, and no
	// session starts.
	for name, f := range map[string]url.Values{
		"missing": form("login", "tk421", "password", "Changeme1"),
		"wrong":   form("login", "tk421", "password", "Changeme1", "csrf", "x"+b.csrf[1:]),
	} {
		p := b.postRaw("/console/signin", f)
		want(t, p, http.StatusForbidden, "not sent from this console")
		if b.cookie("ks_session") != nil {
			t.Fatalf("%s token: a session started", name)
		}
	}
	req, _ := http.NewRequest("POST", st.URL+"/console/signin", strings.NewReader(form("login", "tk421", "password", "Changeme1", "csrf", b.csrf).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	want(t, b.do(req), http.StatusForbidden)
	// Another browser's token is not this one's.
	other := st.browser()
	other.get("/console/signin")
	want(t, b.postRaw("/console/signin", form("login", "tk421", "password", "Changeme1", "csrf", other.csrf)), http.StatusForbidden)

	// Signed in, a post without the token changes nothing either.
	b.signIn("tk421", "Changeme1")
	want(t, b.postRaw("/console/keys", form("name", "sneaky")), http.StatusForbidden)
	list, err := st.s.Service.ListAPIKeys(context.Background(), st.admin, acc.ID, domain.Page{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("a key was made without the token: %v %v", list.Items, err)
	}
	// Nor does signing out.
	want(t, b.postRaw("/console/signout", nil), http.StatusForbidden)
	want(t, b.get("/console/keys"), http.StatusOK, "API keys")
}

func TestAnotherAccountsKeysAreNotFound(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	other := st.account("tk422", "Changeme1")
	theirs := st.key(other.ID)
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	id := theirs.Key.ID
	for _, path := range []string{"/console/keys/" + id, "/console/keys/" + id + "/reroll", "/console/keys/" + id + "/delete"} {
		want(t, b.get(path), http.StatusNotFound, "nothing here, or it is not yours")
	}
	b.get("/console/keys")
	for path, f := range map[string]url.Values{
		"/console/keys/" + id + "/status": form("status", "DISABLED"),
		"/console/keys/" + id + "/name":   form("name", "mine now"),
		"/console/keys/" + id + "/reroll": form("grace", "none"),
		"/console/keys/" + id + "/delete": nil,
	} {
		want(t, b.post(path, f), http.StatusNotFound)
	}
	// The token page does not take it either, even with its secret.
	p := b.post("/console/token", form("key", id, "secret", theirs.Secret))
	if p.status != http.StatusNotFound || strings.Contains(p.body, "eyJ") {
		t.Fatalf("token for another account's key: %d\n%s", p.status, p.body)
	}
	k := st.getKey(id)
	if k.Status != domain.StatusEnabled || k.Name != "" || k.Generation != 0 {
		t.Fatalf("the other account's key changed: %+v", k)
	}
	if st.equipment("tk422", id, theirs.Secret) != http.StatusOK {
		t.Fatal("the other account's key stopped working")
	}
	// Their key is not listed either.
	if p := b.get("/console/keys"); strings.Contains(p.body, id) {
		t.Fatal("another account's key is listed")
	}
}

func TestKeyLifecycle(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	want(t, b.get("/console/keys"), http.StatusOK, "<caption>API keys</caption>", "You have no API keys yet")
	// A bad expiry is said, and nothing is made.
	want(t, b.post("/console/keys", form("name", "ci", "expires", "next week")), http.StatusBadRequest, "Give the expiry as a date", `value="ci"`)
	want(t, b.post("/console/keys", form("name", "ci", "expires", "2000-01-01")), http.StatusBadRequest)
	expires := st.s.Service.Clock.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
	p := b.post("/console/keys", form("name", "ci", "expires", expires))
	want(t, p, http.StatusCreated, "Copy the secret now", ">Copy secret</button>")
	id, secret := created(t, p)
	if st.equipment("tk421", id, secret) != http.StatusOK {
		t.Fatal("the new key does not work on the example API")
	}
	// The secret is shown once: never on the table or the key's page.
	for _, path := range []string{"/console/keys", "/console/keys/" + id} {
		if p := b.get(path); strings.Contains(p.body, secret) || !strings.Contains(p.body, id) {
			t.Fatalf("%s shows the secret, or not the key", path)
		}
	}
	want(t, b.get("/console/keys"), http.StatusOK, ">ci</a>", expires+" 00:00", ">Disable</button>", ">Reroll</button>", ">Delete</button>")
	// Its usage counts the call above once flushed.
	st.s.Usage.Flush(context.Background())
	want(t, b.get("/console/keys/"+id), http.StatusOK, "Usage", "<strong>1</strong> successful")

	b.get("/console/keys")
	wantRedirect(t, b.post("/console/keys/"+id+"/status", form("status", "DISABLED")), "/console/keys?done=disabled")
	want(t, b.get("/console/keys?done=disabled"), http.StatusOK, "The key is disabled", ">Enable</button>")
	if got := st.equipment("tk421", id, secret); got != http.StatusUnauthorized {
		t.Fatalf("a disabled key: %d", got)
	}
	wantRedirect(t, b.post("/console/keys/"+id+"/status", form("status", "ENABLED")), "/console/keys?done=enabled")
	if st.equipment("tk421", id, secret) != http.StatusOK {
		t.Fatal("enabled again, the key does not work")
	}
	want(t, b.post("/console/keys/"+id+"/status", form("status", "GONE")), http.StatusBadRequest)

	b.get("/console/keys/" + id)
	wantRedirect(t, b.post("/console/keys/"+id+"/name", form("name", "build server")), "/console/keys/"+id+"?done=renamed")
	want(t, b.get("/console/keys/"+id+"?done=renamed"), http.StatusOK, "The key was renamed", `value="build server"`)

	// Reroll: none keeps the old secret; 1h keeps it for an hour.
	want(t, b.get("/console/keys/"+id+"/reroll"), http.StatusOK, "Keep the old secret working for", ">Reroll</button>")
	p = b.post("/console/keys/"+id+"/reroll", form("grace", "1h"))
	want(t, p, http.StatusOK, "keeps working until")
	id2, secret2 := created(t, p)
	if id2 != id || secret2 == secret {
		t.Fatal("a reroll must keep the id and change the secret")
	}
	if st.equipment("tk421", id, secret) != http.StatusOK || st.equipment("tk421", id, secret2) != http.StatusOK {
		t.Fatal("within the grace both secrets work")
	}
	b.get("/console/keys/" + id + "/reroll")
	p = b.post("/console/keys/"+id+"/reroll", form("grace", "none"))
	want(t, p, http.StatusOK, "stopped working now")
	_, secret3 := created(t, p)
	if st.equipment("tk421", id, secret2) != http.StatusUnauthorized || st.equipment("tk421", id, secret3) != http.StatusOK {
		t.Fatal("without grace the old secret stops at once")
	}
	want(t, b.post("/console/keys/"+id+"/reroll", form("grace", "forever")), http.StatusBadRequest)

	// A test token with the key, and a curl line that works.
	want(t, b.get("/console/token?key="+id), http.StatusOK, "Key secret", `selected`)
	want(t, b.post("/console/token", form("key", id, "secret", secret)), http.StatusBadRequest) // the old secret
	p = b.post("/console/token", form("key", id, "secret", secret3))
	want(t, p, http.StatusOK, "Your access token", "curl -H 'Authorization: Bearer eyJ", st.URL+"/troopers/tk421/equipment", ">Copy command</button>")

	// Delete, with a confirmation first.
	want(t, b.get("/console/keys/"+id+"/delete"), http.StatusOK, "cannot be undone", ">Delete</button>")
	wantRedirect(t, b.post("/console/keys/"+id+"/delete", nil), "/console/keys?done=deleted")
	if st.equipment("tk421", id, secret3) != http.StatusUnauthorized {
		t.Fatal("a deleted key still works")
	}
	want(t, b.get("/console/keys/"+id), http.StatusNotFound)
}

func TestSignUpAndVerify(t *testing.T) {
	st := startSite(t, "")
	b := st.browser()
	// Closed by default: the page says so, and a post makes nothing.
	want(t, b.get("/console/signup"), http.StatusOK, "Sign-up is closed")
	if strings.Contains(b.get("/console/signin").body, "Create an account") {
		t.Fatal("sign-in offers a closed sign-up")
	}
	p := b.post("/console/signup", form("email", "new@example.com", "password", "Changeme1", "confirm", "Changeme1"))
	want(t, p, http.StatusForbidden, "Sign-up is closed")

	st.policy(domain.AccountCreationPolicyInput{SelfRegistrationStatus: on()})
	want(t, b.get("/console/signin"), http.StatusOK, "Create an account")
	b.get("/console/signup")
	want(t, b.post("/console/signup", form("email", "new@example.com", "password", "Changeme1", "confirm", "Changeme2")), http.StatusBadRequest, "not the same")
	want(t, b.post("/console/signup", form("email", "new@example.com", "password", "short", "confirm", "short")), http.StatusBadRequest, "at least 8 characters")
	p = b.post("/console/signup", form("givenName", "Jyn", "surname", "Erso", "email", "new@example.com", "password", "Changeme1", "confirm", "Changeme1"))
	wantRedirect(t, p, "/console/keys?done=welcome")
	want(t, b.get("/console/keys?done=welcome"), http.StatusOK, "Your account is ready", "new@example.com")
	// The same address again is taken.
	c := st.browser()
	c.get("/console/signup")
	want(t, c.post("/console/signup", form("email", "new@example.com", "password", "Changeme1", "confirm", "Changeme1")), http.StatusConflict)

	// With verification on, the account waits for its link.
	st.policy(domain.AccountCreationPolicyInput{VerificationEmailStatus: on()})
	d := st.browser()
	d.get("/console/signup")
	p = d.post("/console/signup", form("username", "cassian", "email", "cassian@example.com", "password", "Changeme1", "confirm", "Changeme1"))
	want(t, p, http.StatusOK, "We sent a link to", "cassian@example.com")
	d.get("/console/signin")
	want(t, d.post("/console/signin", form("login", "cassian", "password", "Changeme1")), http.StatusBadRequest)
	// A taken address gets the very same page; its owner gets a notice.
	x := st.browser()
	x.get("/console/signup")
	want(t, x.post("/console/signup", form("email", "new@example.com", "password", "Changeme1", "confirm", "Changeme1")), http.StatusOK, "We sent a link to", "new@example.com")
	if mails := st.mails(); !strings.Contains(mails[len(mails)-1], "To: new@example.com") || !strings.Contains(mails[len(mails)-1], "Nothing was created") {
		t.Fatal("the address's owner was not told of the sign-up")
	}
	link := st.link("cassian@example.com", "verify")
	// The link's token leaves the URL at once, for a cookie of the page.
	p = d.get(link)
	wantRedirect(t, p, "/console/verify")
	if strings.Contains(strings.Join(p.header.Values("Set-Cookie"), ""), "Path=/;") {
		t.Fatal("the link's cookie is not scoped to its page")
	}
	// Opening the link does not verify: the button does.
	want(t, d.get("/console/verify"), http.StatusOK, ">Verify email</button>", "cassian@example.com")
	d.get("/console/signin")
	want(t, d.post("/console/signin", form("login", "cassian", "password", "Changeme1")), http.StatusBadRequest)
	d.get("/console/verify")
	wantRedirect(t, d.post("/console/verify", nil), "/console/signin?done=verified")
	d.signIn("cassian", "Changeme1")
	// A used link is not valid again.
	e := st.browser()
	e.get("/console/signin")
	e.get(link)
	want(t, e.get("/console/verify"), http.StatusOK, "This link is not valid")
	want(t, e.post("/console/verify", nil), http.StatusNotFound, "This link is not valid")
}

func TestPasswordResetThroughTheOutbox(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	stale := b.cookie("ks_session")
	b.get("/console/forgot")
	// Known and unknown addresses get the same page.
	want(t, b.post("/console/forgot", form("email", "nobody@example.com")), http.StatusOK, "If an account has the address")
	want(t, b.post("/console/forgot", form("email", "tk421@example.com")), http.StatusOK, "If an account has the address")
	if n := len(st.mails()); n != 1 {
		t.Fatalf("%d mails, want 1 (none for an unknown address)", n)
	}
	link := st.link("tk421@example.com", "reset")
	c := st.browser()
	wantRedirect(t, c.get(link), "/console/reset")
	want(t, c.get("/console/reset"), http.StatusOK, "Choose a new password for", "tk421@example.com")
	want(t, c.post("/console/reset", form("password", "Newpassw0rd", "confirm", "Newpassw0rd!")), http.StatusBadRequest, "not the same")
	want(t, c.post("/console/reset", form("password", "weak", "confirm", "weak")), http.StatusBadRequest)
	wantRedirect(t, c.post("/console/reset", form("password", "Newpassw0rd", "confirm", "Newpassw0rd")), "/console/signin?done=reset")
	c.signIn("tk421", "Newpassw0rd")
	// The new password ended the session signed in before it.
	d := st.browser()
	u, _ := url.Parse(st.URL)
	d.c.Jar.SetCookies(u, []*http.Cookie{stale})
	wantRedirect(t, d.get("/console/keys"), "/console/signin")
	// The link is spent.
	e := st.browser()
	e.get("/console/forgot")
	e.get(link)
	want(t, e.get("/console/reset"), http.StatusOK, "This link is not valid")
	want(t, e.post("/console/reset", form("password", "Newpassw0rd2", "confirm", "Newpassw0rd2")), http.StatusNotFound)
}

func TestSignOutEndsTheSession(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	b := st.browser()
	b.get("/console/signin")
	want(t, b.post("/console/signin", form("login", "tk421", "password", "wrong")), http.StatusBadRequest, "Invalid username or password", `value="tk421"`)
	want(t, b.post("/console/signin", form("login", "nobody", "password", "wrong")), http.StatusBadRequest, "Invalid username or password")
	b.signIn("tk421@example.com", "Changeme1")
	session := b.cookie("ks_session")
	b.get("/console/keys")
	wantRedirect(t, b.post("/console/signout", nil), "/console/signin?done=signedout")
	if b.cookie("ks_session") != nil {
		t.Fatal("the session cookie is still set")
	}
	// A copy of the cookie is worth nothing: the session ended on the
	// server.
	c := st.browser()
	u, _ := url.Parse(st.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{session})
	wantRedirect(t, c.get("/console/keys"), "/console/signin")
	// A key's access token is no session either.
	acc := st.account("tk422", "Changeme1")
	k := st.key(acc.ID)
	iss := st.clientToken(k.Key.ID, k.Secret)
	f := st.browser()
	f.c.Jar.SetCookies(u, []*http.Cookie{{Name: "ks_session", Value: iss}})
	wantRedirect(t, f.get("/console/keys"), "/console/signin")
}

func TestProfile(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	want(t, b.get("/console/profile"), http.StatusOK, `value="tk421@example.com"`, ">Save profile</button>", ">Change password</button>")
	wantRedirect(t, b.post("/console/profile", form("givenName", "Joe", "surname", "Stormtrooper", "email", "tk421@example.com")), "/console/profile?done=profile")
	want(t, b.get("/console/profile?done=profile"), http.StatusOK, `value="Joe"`, `value="Stormtrooper"`)
	// The email needs the current password.
	want(t, b.post("/console/profile", form("givenName", "Joe", "surname", "Stormtrooper", "email", "joe@example.com")), http.StatusBadRequest, `value="joe@example.com"`)
	want(t, b.post("/console/profile", form("givenName", "Joe", "surname", "Stormtrooper", "email", "joe@example.com", "currentPassword", "wrong")), http.StatusBadRequest)
	wantRedirect(t, b.post("/console/profile", form("givenName", "Joe", "surname", "Stormtrooper", "email", "joe@example.com", "currentPassword", "Changeme1")), "/console/profile?done=profile")
	// The former address is told where the account went.
	mails := st.mails()
	if len(mails) == 0 || !strings.Contains(mails[len(mails)-1], "To: tk421@example.com") || !strings.Contains(mails[len(mails)-1], "was just changed to joe@example.com") {
		t.Fatalf("no notice to the former address: %q", mails)
	}
	// A new password: the wrong current one changes nothing; the right
	// one keeps this browser signed in and ends the other sessions.
	other := st.browser()
	other.signIn("tk421", "Changeme1")
	b.get("/console/profile")
	p := b.post("/console/password", form("currentPassword", "wrong", "password", "Newpassw0rd", "confirm", "Newpassw0rd"))
	want(t, p, http.StatusBadRequest)
	want(t, b.post("/console/password", form("currentPassword", "Changeme1", "password", "Newpassw0rd", "confirm", "Other0000")), http.StatusBadRequest, "not the same")
	wantRedirect(t, b.post("/console/password", form("currentPassword", "Changeme1", "password", "Newpassw0rd", "confirm", "Newpassw0rd")), "/console/profile?done=password")
	want(t, b.get("/console/profile?done=password"), http.StatusOK, "Your password was changed")
	wantRedirect(t, other.get("/console/keys"), "/console/signin")
	other.signIn("joe@example.com", "Newpassw0rd")
}

var onceRE = regexp.MustCompile(`name="once" value="([^"]+)"`)

// A form that makes a secret, sent twice (a reload, a second click),
// acts once: a second reroll would end the first one's grace.
func TestRepeatedFormsActOnce(t *testing.T) {
	st := startSite(t, "")
	acc := st.account("tk421", "Changeme1")
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	p := b.get("/console/keys")
	once := onceRE.FindStringSubmatch(p.body)
	if once == nil {
		t.Fatal("the create form has no one-time token")
	}
	f := form("name", "ci", "once", once[1])
	id, secret := created(t, b.post("/console/keys", f))
	want(t, b.post("/console/keys", f), http.StatusCreated, "This form was sent twice")
	list, err := st.s.Service.ListAPIKeys(context.Background(), st.admin, acc.ID, domain.Page{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("%d keys after the same form twice (%v)", len(list.Items), err)
	}
	// Another account cannot replay it: the token is bound to the
	// account, the path and the fields.
	if secretRE.MatchString(b.post("/console/keys", form("name", "other", "once", once[1])).body) {
		t.Fatal("the same token with other fields made a key")
	}

	p = b.get("/console/keys/" + id + "/reroll")
	once = onceRE.FindStringSubmatch(p.body)
	if once == nil {
		t.Fatal("the reroll form has no one-time token")
	}
	f = form("grace", "24h", "once", once[1])
	_, secret2 := created(t, b.post("/console/keys/"+id+"/reroll", f))
	want(t, b.post("/console/keys/"+id+"/reroll", f), http.StatusOK, "This form was sent twice", "rerolled once")
	if st.getKey(id).Generation != 1 || st.equipment("tk421", id, secret) != http.StatusOK || st.equipment("tk421", id, secret2) != http.StatusOK {
		t.Fatal("the repeated reroll rerolled again, ending the grace")
	}
}

func TestFormDetails(t *testing.T) {
	st := startSite(t, "")
	st.account("tk421", "Changeme1")
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	first := b.cookie("ks_session")
	today := st.s.Service.Clock.Now().UTC().Format(time.DateOnly)
	b.get("/console/keys")
	want(t, b.post("/console/keys", form("name", "ci", "expires", today)), http.StatusBadRequest, "The expiry date must be after today")
	id, _ := created(t, b.post("/console/keys", form("name", "ci")))
	// The buttons on a key's page come back to it.
	b.get("/console/keys/" + id)
	wantRedirect(t, b.post("/console/keys/"+id+"/status", form("status", "DISABLED", "from", "key")), "/console/keys/"+id+"?done=disabled")
	want(t, b.get("/console/keys/"+id+"?done=disabled"), http.StatusOK, "The key is disabled", ">Enable</button>", `name="from" value="key"`)
	// Not a form: refused before anything is done.
	req, _ := http.NewRequest("POST", st.URL+"/console/keys", strings.NewReader(`{"name":"json"}`))
	req.Header.Set("Content-Type", "application/json")
	want(t, b.do(req), http.StatusUnsupportedMediaType)
	// Signing in again ends the session this browser had.
	b.signIn("tk421", "Changeme1")
	c := st.browser()
	u, _ := url.Parse(st.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{first})
	wantRedirect(t, c.get("/console/keys"), "/console/signin")

	// A disabled application says so on every page.
	disabled := "DISABLED"
	if _, err := st.s.Service.UpdateApplication(context.Background(), st.admin, st.app, domain.ApplicationInput{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	d := st.browser()
	want(t, d.get("/console/signin"), http.StatusOK, "is disabled for now")
	want(t, d.post("/console/signin", form("login", "tk421", "password", "Changeme1")), http.StatusBadRequest)
}

// A key imported with its Stormpath secret says so until it is rerolled.
func TestImportedKeyIsMarked(t *testing.T) {
	st := startSite(t, "")
	acc := st.account("tk421", "Changeme1")
	id, secret := "ABCDEFGHIJKLMNOPQRSTUVWXY", "nDqPH9p2kLmW8xYz4QrTs7VbUe3FgHj6"
	if _, err := st.s.Service.CreateAPIKey(context.Background(), st.admin, acc.ID, domain.APIKeyInput{Import: &domain.KeyImport{ID: id, Secret: secret}}); err != nil {
		t.Fatal(err)
	}
	b := st.browser()
	b.signIn("tk421", "Changeme1")
	want(t, b.get("/console/keys"), http.StatusOK, id, "imported from Stormpath")
	if st.equipment("tk421", id, secret) != http.StatusOK {
		t.Fatal("the imported key does not work")
	}
	b.get("/console/keys/" + id + "/reroll")
	created(t, b.post("/console/keys/"+id+"/reroll", form("grace", "1h")))
	if strings.Contains(b.get("/console/keys").body, "imported from Stormpath") {
		t.Fatal("a rerolled key still says to reroll it")
	}
}
