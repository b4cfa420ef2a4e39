package domain

import (
	"context"
	"encoding/base64"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/keystorm/keystorm/events"
)

// LoginAttempt is Stormpath's login attempt: Type "basic" and Value the
// base64 of "usernameOrEmail:password". Source is the address the attempt
// comes from, for the throttle and the event ("" when unknown: then
// nothing is throttled, as at the token endpoints).
type LoginAttempt struct {
	Type   string
	Value  string
	Source string
}

// MaxLoginValue bounds a login attempt's value (base64): a username or
// email and a password at their longest, in four-byte characters, fit.
const MaxLoginValue = 4096

// ParseLoginValue decodes a basic login attempt's value: standard base64
// (padded, as Stormpath's SDKs send it) of UTF-8 text with a ':' after a
// non-empty username or email and before a non-empty password. The
// username ends at the first ':', as in HTTP Basic (RFC 7617), which no
// username may contain. Every refusal is a KindInvalid error on "value"
// that says what is wrong and repeats nothing of the value.
func ParseLoginValue(value string) (user, password string, err error) {
	bad := func(why string) error {
		return invalid(CodeInvalidValue, "value", "value must be the base64 of usernameOrEmail:password in UTF-8: %s.", why)
	}
	if value == "" {
		return "", "", invalid(CodeRequired, "value", "value is required: the base64 of usernameOrEmail:password.")
	}
	if len(value) > MaxLoginValue {
		return "", "", invalid(CodeTooLong, "value", "value must be at most %d characters.", MaxLoginValue)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(value)
	if err != nil {
		return "", "", bad("it is not base64")
	}
	s := string(raw)
	if !utf8.ValidString(s) {
		return "", "", bad("it is not UTF-8")
	}
	user, password, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return "", "", bad("there is no ':'")
	case user == "":
		return "", "", bad("the username or email is empty")
	case password == "":
		return "", "", bad("the password is empty")
	}
	return user, password, nil
}

// Login refusals. Wrong user and wrong password are one error, so an
// answer never tells whether a username exists; the disabled and
// unverified refusals come only after the right password.
var (
	ErrLoginFailed     = &Error{Kind: KindInvalid, Code: CodeLoginFailed, Message: "Invalid username or password."}
	ErrLoginDisabled   = &Error{Kind: KindInvalid, Code: CodeLoginDisabled, Message: "Login attempt failed because the Account is disabled."}
	ErrLoginUnverified = &Error{Kind: KindInvalid, Code: CodeLoginUnverified, Message: "Login attempt failed because the Account is not verified."}
	// ErrLoginApplicationDisabled comes before any password is checked:
	// only the tenant's admins may ask, and they know the status.
	ErrLoginApplicationDisabled = &Error{Kind: KindInvalid, Code: CodeLoginDirectoryDisabled, Message: "Login attempt failed because the Application is disabled."}
)

// loginState is what a Service keeps for logins: its throttle and the
// dummy hash, made on first use.
type loginState struct {
	throttle *Throttle
	// signups counts SignUp's accounts per source (DefaultSignUpThrottle).
	signups *Throttle
	dummy   string
	err     error
}

// noAccount is the id read when no guard names an account, so that an
// unknown user costs the same store reads as a known one. Ids are random
// and never take this form.
const noAccount = "acc_none"

// loginMu guards every Service's loginSt; it is held for long only once
// per Service, while the dummy hash is made.
var loginMu sync.Mutex

func (s *Service) login() *loginState {
	loginMu.Lock()
	defer loginMu.Unlock()
	if s.loginSt == nil || s.loginSt.err != nil {
		st := &loginState{throttle: s.Throttle, signups: s.SignUps}
		if st.throttle == nil {
			st.throttle = NewThrottle(s.Clock)
		}
		if st.signups == nil {
			st.signups = &Throttle{Clock: s.Clock, PerKey: DefaultSignUpThrottle, PerSource: DefaultSignUpThrottle}
		}
		// Made with the service's own hasher and its parameters, so that
		// checking a password against it costs what checking against a
		// real account's hash costs.
		st.dummy, st.err = s.Hasher.Hash("keystorm dummy password, never an account's")
		s.loginSt = st
	}
	return s.loginSt
}

// Login checks a login attempt against an application's directory and
// returns the account. Only an admin key of the application's tenant may
// ask (another tenant's application is ErrNotFound), as Stormpath
// required the application's API key.
//
// The username or email compares as uniqueness does: both guards are
// read, then one account (or noAccount), and the password is checked
// against its hash or the dummy hash, so an unknown user costs exactly
// what a wrong password costs. Only after the right password does the
// answer say that the account is disabled or unverified.
//
// Failures count against (account, source) and source in the throttle;
// a throttled source is refused before anything is checked or written.
// Events: AccountLoginSucceeded (with AccountPasswordRehashed in its
// commit the first time an imported hash is proved right), and
// AccountLoginFailed for an account that gave its right password but is
// disabled or unverified; a wrong password or an unknown user writes
// nothing (see below).
//
// Errors: KindInvalid (malformed attempt, ErrLoginFailed,
// ErrLoginDisabled, ErrLoginUnverified, ErrLoginApplicationDisabled),
// KindThrottled, ErrNotFound,
// ErrForbidden, ErrUnavailable.
func (s *Service) Login(ctx context.Context, c Caller, applicationID string, in LoginAttempt) (*Account, error) {
	app, err := s.GetApplication(ctx, c, applicationID)
	if err != nil {
		return nil, err
	}
	if app.Status != StatusEnabled {
		// Its keys and tokens do not work either: a login that succeeds
		// there would hand out nothing usable.
		return nil, ErrLoginApplicationDisabled
	}
	switch {
	case in.Type == "":
		return nil, invalid(CodeRequired, "type", "type is required: basic.")
	case in.Type != "basic":
		return nil, invalid(CodeInvalidStatus, "type", "type must be basic.")
	}
	user, password, err := ParseLoginValue(in.Value)
	if err != nil {
		return nil, err
	}
	if in.Source, err = normalSource(in.Source); err != nil {
		return nil, err
	}
	acc, err := s.checkPassword(ctx, app, user, password, in.Source)
	if err != nil {
		return nil, err
	}
	if err := s.loginRefused(ctx, c, acc, in.Source); err != nil {
		return nil, err
	}
	rh, err := s.rehashFor(acc, password)
	if err != nil {
		return nil, err
	}
	return s.recordLogin(ctx, c, acc.ID, &events.AccountLoginSucceeded{Source: in.Source}, rh)
}

// rehash replaces an imported password hash (README "Importing password
// hashes") at the login that proved its password: the argon2id hash of
// that password, and the hash it was checked against.
type rehash struct {
	checked string
	event   events.AccountPasswordRehashed
}

// rehashFor is the rehash of acc's imported hash with password, which a
// login just found right, or nil when acc's hash is no imported one. It
// hashes before the login's commit (outside its retry loop: the hash is
// deliberately slow).
func (s *Service) rehashFor(acc *Account, password string) (*rehash, error) {
	if !isImportedHash(acc.PasswordHash) {
		return nil, nil
	}
	// bcrypt reads only a password's first 72 bytes: any longer
	// password sharing them passes. Re-hashing the one typed would let
	// whichever variant signs in first become the only password; the
	// bcrypt hash stays until the password is set anew.
	if strings.HasPrefix(acc.PasswordHash, "$2") && len(password) > 72 {
		return nil, nil
	}
	h, err := s.Hasher.Hash(password)
	if err != nil {
		return nil, err
	}
	return &rehash{checked: acc.PasswordHash, event: events.AccountPasswordRehashed{PasswordHash: h}}, nil
}

// events is what the login's commit records besides its own event: the
// rehash, unless cur's hash is no longer the one checked (a new password
// set meanwhile must not be overwritten with the old one's hash).
func (h *rehash) events(cur *Account) []events.Event {
	if h == nil || cur.PasswordHash != h.checked {
		return nil
	}
	return []events.Event{h.event}
}

// loginRefused is nil for an enabled account. For a disabled or
// unverified one, whose right password was given, it records the refusal
// (AccountLoginFailed) and returns ErrLoginDisabled or ErrLoginUnverified,
// or the error that kept it from recording.
func (s *Service) loginRefused(ctx context.Context, c Caller, acc *Account, source string) error {
	reason, refusal := events.LoginDisabled, ErrLoginDisabled
	switch acc.Status {
	case StatusEnabled:
		return nil
	case StatusUnverified:
		reason, refusal = events.LoginUnverified, ErrLoginUnverified
	}
	_, err := s.recordLogin(ctx, c, acc.ID, &events.AccountLoginFailed{Reason: reason, Source: source}, nil)
	return refused(err, refusal)
}

// normalSource checks a login's source address and writes it the one way
// the throttle counts it ("" stays "": unknown).
func normalSource(source string) (string, error) {
	if source == "" {
		return "", nil
	}
	addr, err := netip.ParseAddr(source)
	if err != nil {
		return "", invalid(CodeInvalidValue, "clientIp", "clientIp must be an IPv4 or IPv6 address.")
	}
	return addr.Unmap().String(), nil
}

// checkPassword is the part of a login that the password grant shares:
// the throttle, then the account by username or email, then the password
// against its hash or the dummy hash, so that an unknown user costs what
// a wrong password costs. It returns the account whose password was
// given, whatever its status (the caller says what a disabled or
// unverified account gets), or ErrLoginFailed, or a KindThrottled error.
func (s *Service) checkPassword(ctx context.Context, app *Application, user, password, source string) (*Account, error) {
	ls := s.login()
	if ls.err != nil {
		return nil, ls.err
	}
	// A source already waiting is turned away before any read.
	if err := throttled(ls.throttle, "", source); err != nil {
		return nil, err
	}
	acc, err := s.findLogin(ctx, app, user)
	if err != nil {
		return nil, err
	}
	key := "?" + usernameKey(user) // an unknown name: its own budget
	hash := ls.dummy
	if acc != nil {
		key, hash = acc.ID, acc.PasswordHash
	}
	if err := throttled(ls.throttle, key, source); err != nil {
		return nil, err
	}
	ok, imported := s.verifyPassword(password, hash)
	if imported {
		// An imported hash may be far cheaper than argon2id (one MD5):
		// checking the dummy hash as well keeps such an account from
		// answering faster than an unknown user until its first login
		// re-hashes it. (A dearer one, bcrypt, still answers slower.)
		s.Hasher.Verify(password, ls.dummy)
	}
	if !ok || acc == nil {
		// No event, even on an existing account: its write would make a
		// wrong password cost more than an unknown user, which the equal
		// answers hide, and would let anyone holding a username grow
		// that account's stream. The throttle counts it.
		ls.throttle.Fail(key, source)
		return nil, ErrLoginFailed
	}
	ls.throttle.Succeeded(key, source)
	return acc, nil
}

// refused returns err, or refusal when err is nil.
func refused(err error, refusal *Error) error {
	if err != nil {
		return err
	}
	return refusal
}

// throttled is a KindThrottled error when key from source must wait.
func throttled(t *Throttle, key, source string) error {
	wait := t.Wait(key, source)
	if wait <= 0 {
		return nil
	}
	return &Error{Kind: KindThrottled, Code: CodeThrottled, RetryAfter: wait,
		Message: "Too many failed login attempts from this address; retry later."}
}

// findLogin returns the application's live account whose username, or
// else whose email, is user under the uniqueness mappings, or nil: in
// each account store the application maps, in listIndex order, the
// first account that it reaches (reach.go). Every guard is read, and one
// account item, whatever is found (more only when a name is found in
// several stores).
func (s *Service) findLogin(ctx context.Context, app *Application, user string) (*Account, error) {
	return s.findByGuards(ctx, app, reaches, "/username/"+usernameKey(user), "/email/"+emailKey(user))
}

// findByEmail returns the application's live account whose email is
// address, or nil, as findLogin does.
func (s *Service) findByEmail(ctx context.Context, app *Application, address string) (*Account, error) {
	return s.findByGuards(ctx, app, reaches, "/email/"+emailKey(address))
}

// storeDirectories lists the directories of app's account stores in
// listIndex order, once each: a group store stands for its directory
// (whose accounts reach app only as its members, which reaches checks).
func (s *Service) storeDirectories(ctx context.Context, app *Application) ([]string, error) {
	var out []string
	for _, m := range app.Mappings {
		d := m.StoreID
		if m.StoreKind == events.StoreGroup {
			g := &Group{}
			err := s.Store.Load(ctx, Ref{KindGroup, m.StoreID}, g)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			d = g.DirectoryID
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// findByGuards returns the application's live account that owns the
// first of the uniqueness guards (suffixes, under each store's
// directory) that an account owns and that the application reaches, or
// nil. Every guard is read, then one account item (noAccount when none
// names one), so that what is found does not change what it costs.
// reached judges an account found: reaches for a login (its store
// usable), or for a listing just that it is the application's.
func (s *Service) findByGuards(ctx context.Context, app *Application, reached func(context.Context, Store, *Application, *Account) (bool, error), suffixes ...string) (*Account, error) {
	dirs, err := s.storeDirectories(ctx, app)
	if err != nil {
		return nil, err
	}
	var found []Ref
	for _, d := range dirs {
		var first *Ref
		for _, suffix := range suffixes {
			ref, err := s.Store.Owner(ctx, "directory/"+d+suffix)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				return nil, err
			case first == nil && ref.Kind == KindAccount:
				first = &ref
			}
		}
		if first != nil {
			found = append(found, *first)
		}
	}
	if len(found) == 0 {
		found = []Ref{{KindAccount, noAccount}}
	}
	for _, ref := range found {
		acc := &Account{}
		err := s.Store.Load(ctx, ref, acc)
		switch {
		case errors.Is(err, ErrNotFound):
			continue
		case err != nil:
			return nil, err
		case ref.ID == noAccount:
			return nil, nil
		}
		if acc.Deleted() || acc.TenantID() != app.TenantID() {
			continue
		}
		ok, err := reached(ctx, s.Store, app, acc)
		if err != nil {
			return nil, err
		}
		if ok {
			return acc, nil
		}
	}
	return nil, nil
}

// recordLogin appends a login event to the account's stream, with rh's
// rehash in the same commit when there is one, and returns the account
// as it then is. The account may have changed since it was checked
// (retried on a conflict, like every command); if it was deleted
// meanwhile, the attempt fails as for an unknown user.
func (s *Service) recordLogin(ctx context.Context, c Caller, accountID string, e events.Event, rh *rehash) (*Account, error) {
	// A login is no resource to create once: an Idempotency-Key must not
	// replay an earlier answer without the password being checked.
	c.IdempotencyKey, c.Fingerprint = "", ""
	acc, err := run(ctx, s, c, func(r *recorder) (*Account, error) {
		cur, err := load[*Account](ctx, s, c, KindAccount, accountID)
		if err != nil {
			return nil, err
		}
		after := cur.clone()
		return after, r.record(cur.Ref(), cur, after, append([]events.Event{e}, rh.events(cur)...)...)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrLoginFailed
	}
	return acc, err
}
