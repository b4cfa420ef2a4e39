package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/keystorm/keystorm/domain"
)

// The console in a real browser: Debian's headless Chromium, driven over
// the DevTools protocol by chromedp. Controls are found the way a screen
// reader finds them, by role and accessible name in Chromium's own
// accessibility tree, so the test fails if a label or a button's name is
// missing. Each page is saved as a PNG in the screenshot folder
// (CONSOLE_SCREENSHOTS, or keystorm-console-screenshots in the system's
// temporary folder; scripts/screenshots refreshes the README's from it).
//
// Chromium missing is a failure, never a skip: ./scripts/test installs
// it.

// chromium finds the browser: $CHROMIUM, or Debian's chromium on PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium not found: install Debian's chromium package (./scripts/test installs it), or set CHROMIUM to a Chromium binary")
	return ""
}

type tab struct {
	t     *testing.T
	ctx   context.Context
	site  *site
	shots string
}

func newTab(t *testing.T, st *site) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.WindowSize(1200, 900),
		// Root in a container has no user namespace for the sandbox;
		// the pages are our own.
		chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A bound on the whole walk, so a hung browser fails the test
	// instead of the run.
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "keystorm-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &tab{t: t, ctx: ctx, site: st, shots: dir}
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.URL + path))
}

// node finds the element of a role and accessible name.
func (b *tab) node(role, name string) cdp.BackendNodeID {
	b.t.Helper()
	ids, err := b.nodes(role, name)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(ids) == 0 {
		b.t.Fatalf("no %s named %q on %s", role, name, b.location())
	}
	return ids[0]
}

// nodes queries Chromium's accessibility tree of the whole document.
// The elements are then used by their backend ids, through the protocol
// directly: chromedp's own node ids belong to the DOM tree it tracks.
func (b *tab) nodes(role, name string) ([]cdp.BackendNodeID, error) {
	doc, err := chromedp.Call(b.ctx, dom.GetDocument, dom.GetDocumentParams{})
	if err != nil {
		return nil, err
	}
	res, err := chromedp.Call(b.ctx, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{BackendNodeID: doc.Root.BackendNodeID, AccessibleName: name, Role: role})
	if err != nil {
		return nil, err
	}
	var out []cdp.BackendNodeID
	for _, n := range res.Nodes {
		if !n.Ignored && n.BackendDOMNodeID != 0 {
			out = append(out, n.BackendDOMNodeID)
		}
	}
	return out, nil
}

// has checks that the page has controls of these roles and names.
func (b *tab) has(pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		b.node(pairs[i], pairs[i+1])
	}
}

// fill focuses a text box and types into it, key by key.
func (b *tab) fill(name, value string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, dom.Focus, dom.FocusParams{BackendNodeID: b.node("textbox", name)}); err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.KeyEvent(value))
}

// click clicks the middle of an element with the mouse.
func (b *tab) click(id cdp.BackendNodeID) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(b.ctx, dom.ScrollIntoViewIfNeeded, dom.ScrollIntoViewIfNeededParams{BackendNodeID: id}); err != nil {
			return err
		}
		box, err := chromedp.Call(b.ctx, dom.GetBoxModel, dom.GetBoxModelParams{BackendNodeID: id})
		if err != nil {
			return err
		}
		q := box.Model.Border
		x, y := (q[0]+q[2]+q[4]+q[6])/4, (q[1]+q[3]+q[5]+q[7])/4
		_, err = chromedp.MouseClickXY(x, y)(ctx, t)
		return err
	})
}

// press clicks a button and waits for the page it leads to.
func (b *tab) press(name string) {
	b.t.Helper()
	b.navigates(b.click(b.node("button", name)))
}

// navigates runs an action that loads a new document, and waits for it:
// the marker set on the old one is gone, and the new one has loaded.
// While the documents change, evaluation fails ("context not found");
// that is part of the wait.
func (b *tab) navigates(a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void]("window.__ksOld = 1"), a)
	for range 400 {
		done, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("window.__ksOld === undefined && document.readyState === 'complete'"))
		if err == nil && done {
			return
		}
		if b.ctx.Err() != nil {
			b.t.Fatal(b.ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("no new page loaded after %s", b.location())
}

func (b *tab) location() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.site.URL)
}

func (b *tab) text() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.body.innerText"))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// sees checks the page's path and text.
func (b *tab) sees(path string, texts ...string) {
	b.t.Helper()
	// A GET form (the table's Reroll and Delete) leaves an empty query.
	if got := strings.TrimSuffix(b.location(), "?"); got != path {
		b.t.Fatalf("at %s, want %s\n%s", got, path, b.text())
	}
	body := b.text()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			b.t.Fatalf("%s does not say %q:\n%s", path, s, body)
		}
	}
}

func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) value(css string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).value", css)))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func TestConsoleInBrowser(t *testing.T) {
	st := startSite(t, "")
	st.policy(domain.AccountCreationPolicyInput{SelfRegistrationStatus: on()})
	b := newTab(t, st)

	// Sign up.
	b.open("/console/signin")
	b.has("textbox", "Username or email", "textbox", "Password", "button", "Sign in", "link", "Create an account")
	b.shot("signin")
	b.navigates(b.click(b.node("link", "Create an account")))
	b.fill("Given name", "Jyn")
	b.fill("Surname", "Erso")
	b.fill("Email", "jyn@example.com")
	b.fill("Username (optional: your email otherwise)", "jyn")
	b.fill("Password", "Stardust1")
	b.fill("Confirm password", "Stardust1")
	b.shot("signup")
	b.press("Create account")
	b.sees("/console/keys?done=welcome", "Your account is ready", "You have no API keys yet")
	b.has("table", "API keys", "button", "Create key", "button", "Sign out")

	// Sign out, and in again with the keyboard alone: Tab reaches the
	// fields in order, and Enter sends the form.
	b.press("Sign out")
	b.sees("/console/signin?done=signedout", "You are signed out")
	for i := 0; i < 10; i++ {
		b.do(chromedp.KeyEvent("\t"))
		if id, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.activeElement.id")); id == "login" {
			break
		}
	}
	b.do(chromedp.KeyEvent("jyn"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("Stardust1"))
	b.navigates(chromedp.KeyEvent("\r"))
	b.sees("/console/keys", "API keys")

	// Create a key: its secret is shown once, with a copy button.
	b.fill("Name", "build server")
	b.press("Create key")
	b.sees("/console/keys", "Copy the secret now", "build server")
	b.has("button", "Copy secret")
	secret, id := b.value("#secret"), strings.TrimSpace(b.textOf("#key-id"))
	b.do(b.click(b.node("button", "Copy secret")),
		chromedp.Poll[chromedp.Void]("document.querySelector('.copied').textContent !== ''", chromedp.WithPollingTimeout(5*time.Second)))
	b.shot("key-created")
	if !strings.HasPrefix(secret, "kss_") {
		t.Fatalf("secret %q", secret)
	}
	// It authenticates on the example API.
	if got := st.equipment("jyn", id, secret); got != http.StatusOK {
		t.Fatalf("the new key on the example API: %d", got)
	}
	// Not shown again.
	b.open("/console/keys")
	if strings.Contains(b.text(), secret) {
		t.Fatal("the table shows the secret")
	}
	b.has("button", "Disable", "button", "Reroll", "button", "Delete")
	b.shot("keys")

	// A test access token, and its curl line.
	b.open("/console/token?key=" + id)
	b.fill("Key secret", secret)
	b.press("Get access token")
	b.sees("/console/token", "Your access token")
	if curl := b.value("#curl"); !strings.HasPrefix(curl, "curl -H 'Authorization: Bearer ey") || !strings.HasSuffix(curl, "/troopers/jyn/equipment'") {
		t.Fatalf("curl line %q", curl)
	}
	b.shot("token")

	// The key's page, with its usage.
	st.s.Usage.Flush(context.Background())
	b.open("/console/keys/" + id)
	b.sees("/console/keys/"+id, "Usage", "Verifications per day")
	b.shot("key-usage")

	// At phone width the table becomes cards, with nothing wider than
	// the screen.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("/console/keys")
	wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("document.documentElement.scrollWidth > window.innerWidth"))
	if err != nil || wide {
		t.Fatalf("the keys page is wider than a phone (%v)", err)
	}
	b.shot("keys-phone")
	b.do(chromedp.EmulateViewport(1200, 900))

	// Disabled, it is denied.
	b.open("/console/keys")
	b.press("Disable")
	b.sees("/console/keys?done=disabled", "The key is disabled")
	b.has("button", "Enable")
	if got := st.equipment("jyn", id, secret); got != http.StatusUnauthorized {
		t.Fatalf("a disabled key on the example API: %d", got)
	}

	// Deleted, with a confirmation first.
	b.press("Delete")
	b.sees("/console/keys/"+id+"/delete", "cannot be undone")
	b.shot("delete")
	b.press("Delete")
	b.sees("/console/keys?done=deleted", "The key was deleted", "You have no API keys yet")

	// A form whose CSRF token was taken out is refused, and nothing made.
	b.fill("Name", "forged")
	b.do(chromedp.Evaluate[chromedp.Void]("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())"))
	b.press("Create key")
	if !strings.Contains(b.text(), "not sent from this console") {
		t.Fatalf("a post without its token:\n%s", b.text())
	}
	b.shot("csrf-refused")
	b.open("/console/keys")
	if strings.Contains(b.text(), "forged") {
		t.Fatal("a key was made without the token")
	}

	// Another account's key ids: not found, and a doctored form changes
	// nothing.
	other := st.account("tk422", "Changeme1")
	theirs := st.key(other.ID)
	b.open("/console/keys/" + theirs.Key.ID)
	b.sees("/console/keys/"+theirs.Key.ID, "nothing here, or it is not yours")
	b.shot("not-yours")
	b.open("/console/keys")
	b.fill("Name", "mine")
	b.press("Create key")
	b.open("/console/keys")
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector('form[action$=\"/status\"]').action = '/console/keys/%s/status'", theirs.Key.ID)))
	b.press("Disable")
	if !strings.Contains(b.text(), "nothing here, or it is not yours") {
		t.Fatalf("disabling another account's key:\n%s", b.text())
	}
	if st.getKey(theirs.Key.ID).Status != domain.StatusEnabled || st.equipment("tk422", theirs.Key.ID, theirs.Secret) != http.StatusOK {
		t.Fatal("the other account's key changed")
	}

	// The profile page.
	b.open("/console/profile")
	b.has("textbox", "Email", "button", "Save profile", "button", "Change password")
	b.shot("profile")

	// A password reset through the local outbox.
	b.press("Sign out")
	b.navigates(b.click(b.node("link", "Forgot your password?")))
	b.fill("Email", "jyn@example.com")
	b.press("Send reset link")
	b.sees("/console/forgot", "If an account has the address")
	b.shot("forgot")
	b.open(st.link("jyn@example.com", "reset"))
	b.sees("/console/reset", "Choose a new password for", "jyn@example.com")
	b.fill("New password", "Kyber0crystal")
	b.fill("Confirm new password", "Kyber0crystal")
	b.shot("reset")
	b.press("Set password")
	b.sees("/console/signin?done=reset", "Your password was set")
	b.fill("Username or email", "jyn@example.com")
	b.fill("Password", "Kyber0crystal")
	b.press("Sign in")
	b.sees("/console/keys", "mine")
}

func (b *tab) textOf(css string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf("document.querySelector(%q).textContent", css)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}
