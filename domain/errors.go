package domain

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the transport layer, which maps each kind to
// one HTTP status in exactly one place.
type Kind int

// Error kinds.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthorized
	KindForbidden
	KindUnavailable
	KindTooLarge
	KindUnsupportedMedia
	KindMethodNotAllowed
	KindUnprocessable
	// KindThrottled: the source must wait (Error.RetryAfter) before it
	// tries again.
	KindThrottled
)

// Stable numeric error codes. They are part of the public API: clients may
// switch on them, so a code, once published, keeps its meaning and is never
// reused for another. Where Stormpath's error list has a code with the same
// meaning, Keystorm answers with Stormpath's number, so clients written for
// Stormpath keep working; every meaning of Keystorm's own takes a number
// from 8000-8999, a block Stormpath never used. Codes lists them all, and a
// test holds the README's error table to it.
const (
	// Stormpath's numbers (its "2XXX: General Validation" list, its
	// custom data list, and the HTTP statuses it used as codes).
	CodeRequired           = 2000
	CodeNotUnique          = 2001
	CodeInvalidValue       = 2002
	CodeInvalidStatus      = 2003
	CodeWrongType          = 2004
	CodeInvalidEmail       = 2006
	CodeTooLong            = 2008
	CodeCrossDirectoryLink = 2014
	CodeUnknownProperty    = 2015
	CodeInvalidQuery       = 2100
	CodeCustomDataTooLarge = 3004
	CodeLoginFailed        = 7100
	CodeLoginDisabled      = 7101
	CodeLoginUnverified    = 7102
	// CodeLoginDirectoryDisabled: each application owns its directory,
	// so a disabled application is Stormpath's disabled directory.
	CodeLoginDirectoryDisabled = 7106
	CodeUnauthenticated        = 401
	CodeNotFound               = 404

	// Keystorm's own, grouped by hundreds so a reader can place a code:
	// 80xx the request as a whole, 81xx a property's value, 82xx
	// permission, 83xx the resource's state, 84xx rate, 85xx the service.
	CodeMalformedJSON     = 8000
	CodeUnsupportedMedia  = 8001
	CodeBodyTooLarge      = 8002
	CodeMethodNotAllowed  = 8004
	CodeWeakPassword      = 8100
	CodeForbidden         = 8200
	CodeSignUpClosed      = 8201
	CodeVersionConflict   = 8300
	CodeHasDependents     = 8301
	CodeProtectedResource = 8302
	CodeIdempotencyReuse  = 8303
	CodeMailDisabled      = 8304
	// CodeNoDefaultStore: an application asked to create an account or
	// group has no default store to put it in.
	CodeNoDefaultStore   = 8305
	CodeThrottled        = 8400
	CodeInternal         = 8500
	CodeStoreUnavailable = 8501
	CodeTimeout          = 8502
	CodeMailUnavailable  = 8503
)

// CodeInfo describes one public error code: the README's error table has
// one row for each, and a test in infra/httpapi checks that it has no other.
type CodeInfo struct {
	Code int
	// Name is the Go constant's name, so the test can tell a constant
	// that was left out of Codes.
	Name string
	// Kind is the kind of every error built with the code; infra/httpapi
	// maps it to the HTTP status the README lists.
	Kind Kind
	// GatewayOnly marks a code only API Gateway answers with (set in
	// template.yaml's GatewayResponses); no Keystorm code builds an error
	// with it, so its Kind decides nothing.
	GatewayOnly bool
	// Stormpath is true when the code is Stormpath's number for the same
	// meaning, false when the meaning is Keystorm's own (8000-8999).
	Stormpath bool
	// Meaning is a one-line summary; the README says more.
	Meaning string
}

// Codes lists every error code Keystorm's domain defines, in the README's
// order. infra/httpapi adds the one code of its own (CodeInvalidPath).
var Codes = []CodeInfo{
	{Code: CodeUnauthenticated, Name: "CodeUnauthenticated", Kind: KindUnauthorized, Stormpath: true, Meaning: "credentials missing or wrong"},
	{Code: CodeNotFound, Name: "CodeNotFound", Kind: KindNotFound, Stormpath: true, Meaning: "no such resource"},
	{Code: CodeRequired, Name: "CodeRequired", Kind: KindInvalid, Stormpath: true, Meaning: "a required property is missing"},
	{Code: CodeNotUnique, Name: "CodeNotUnique", Kind: KindConflict, Stormpath: true, Meaning: "the value must be unique"},
	{Code: CodeInvalidValue, Name: "CodeInvalidValue", Kind: KindInvalid, Stormpath: true, Meaning: "a property has an invalid value"},
	{Code: CodeInvalidStatus, Name: "CodeInvalidStatus", Kind: KindInvalid, Stormpath: true, Meaning: "a status value that is not one of the allowed ones"},
	{Code: CodeWrongType, Name: "CodeWrongType", Kind: KindInvalid, Stormpath: true, Meaning: "a property has the wrong JSON type"},
	{Code: CodeInvalidEmail, Name: "CodeInvalidEmail", Kind: KindInvalid, Stormpath: true, Meaning: "the email is not a valid address"},
	{Code: CodeTooLong, Name: "CodeTooLong", Kind: KindInvalid, Stormpath: true, Meaning: "a property is too long"},
	{Code: CodeCrossDirectoryLink, Name: "CodeCrossDirectoryLink", Kind: KindInvalid, Stormpath: true, Meaning: "account and group are in different directories"},
	{Code: CodeUnknownProperty, Name: "CodeUnknownProperty", Kind: KindInvalid, Stormpath: true, Meaning: "an unknown property"},
	{Code: CodeInvalidQuery, Name: "CodeInvalidQuery", Kind: KindInvalid, Stormpath: true, Meaning: "a bad query parameter"},
	{Code: CodeCustomDataTooLarge, Name: "CodeCustomDataTooLarge", Kind: KindInvalid, Stormpath: true, Meaning: "customData is larger than its limit"},
	{Code: CodeLoginFailed, Name: "CodeLoginFailed", Kind: KindInvalid, Stormpath: true, Meaning: "login attempt: invalid username or password"},
	{Code: CodeLoginDisabled, Name: "CodeLoginDisabled", Kind: KindInvalid, Stormpath: true, Meaning: "login attempt: the account is disabled"},
	{Code: CodeLoginUnverified, Name: "CodeLoginUnverified", Kind: KindInvalid, Stormpath: true, Meaning: "login attempt: the account is not verified"},
	{Code: CodeLoginDirectoryDisabled, Name: "CodeLoginDirectoryDisabled", Kind: KindInvalid, Stormpath: true, Meaning: "login attempt: the application (its directory) is disabled"},
	{Code: CodeMalformedJSON, Name: "CodeMalformedJSON", Kind: KindInvalid, Meaning: "the body is not one JSON object"},
	{Code: CodeUnsupportedMedia, Name: "CodeUnsupportedMedia", Kind: KindUnsupportedMedia, Meaning: "the body is not sent as JSON"},
	{Code: CodeBodyTooLarge, Name: "CodeBodyTooLarge", Kind: KindTooLarge, Meaning: "the body is too large"},
	{Code: CodeMethodNotAllowed, Name: "CodeMethodNotAllowed", Kind: KindMethodNotAllowed, Meaning: "the method is not allowed on the path"},
	{Code: CodeWeakPassword, Name: "CodeWeakPassword", Kind: KindInvalid, Meaning: "the password breaks the policy"},
	{Code: CodeBadCharacter, Name: "CodeBadCharacter", Kind: KindInvalid, Meaning: "a text property holds a character it may not"},
	{Code: CodeMixedScripts, Name: "CodeMixedScripts", Kind: KindInvalid, Meaning: "a username or email mixes writing systems"},
	{Code: CodeTooComplex, Name: "CodeTooComplex", Kind: KindInvalid, Meaning: "customData or a body nests too deeply or is too wide"},
	{Code: CodeWeakSecret, Name: "CodeWeakSecret", Kind: KindInvalid, Meaning: "an imported API key's secret breaks the import rule"},
	{Code: CodeBadPasswordHash, Name: "CodeBadPasswordHash", Kind: KindInvalid, Meaning: "with passwordFormat=mcf, the password is not an accepted hash"},
	{Code: CodeHashAsPassword, Name: "CodeHashAsPassword", Kind: KindInvalid, Meaning: "a plaintext password that looks like a password hash"},
	{Code: CodeForbidden, Name: "CodeForbidden", Kind: KindForbidden, Meaning: "the caller may not do this"},
	{Code: CodeSignUpClosed, Name: "CodeSignUpClosed", Kind: KindForbidden, Meaning: "the application does not take sign-ups (self-registration is off, or it is disabled)"},
	{Code: CodeVersionConflict, Name: "CodeVersionConflict", Kind: KindConflict, Meaning: "the resource changed concurrently"},
	{Code: CodeHasDependents, Name: "CodeHasDependents", Kind: KindConflict, Meaning: "the resource has dependents, or the change is too large"},
	{Code: CodeProtectedResource, Name: "CodeProtectedResource", Kind: KindConflict, Meaning: "a protected resource"},
	{Code: CodeIdempotencyReuse, Name: "CodeIdempotencyReuse", Kind: KindUnprocessable, Meaning: "an Idempotency-Key reused for another request"},
	{Code: CodeMailDisabled, Name: "CodeMailDisabled", Kind: KindConflict, Meaning: "the application's policy has the mail this request needs turned off"},
	{Code: CodeNoDefaultStore, Name: "CodeNoDefaultStore", Kind: KindConflict, Meaning: "the application has no default account or group store"},
	{Code: CodeThrottled, Name: "CodeThrottled", Kind: KindThrottled, Meaning: "throttled by API Gateway, the WAF or the login throttle"},
	{Code: CodeInternal, Name: "CodeInternal", Kind: KindInternal, Meaning: "an internal error"},
	{Code: CodeStoreUnavailable, Name: "CodeStoreUnavailable", Kind: KindUnavailable, Meaning: "the store or Keystorm could not be reached"},
	{Code: CodeMailUnavailable, Name: "CodeMailUnavailable", Kind: KindUnavailable, Meaning: "a mail could not be sent, or no mailer is configured"},
	{Code: CodeTimeout, Name: "CodeTimeout", GatewayOnly: true, Meaning: "the function did not answer in time"},
}

// Error is a domain error with a kind, a stable code, a message for people
// and an optional field it concerns. Its text is safe to show to clients.
type Error struct {
	Kind    Kind
	Code    int
	Message string
	Field   string
	// RetryAfter, when positive, is how long the client must wait
	// (KindThrottled): the transport sends it as Retry-After.
	RetryAfter time.Duration
	// Err is the underlying cause; never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an Error.
func E(kind Kind, code int, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Sentinel errors used across ports.
var (
	// ErrNotFound: the resource does not exist, or is not the caller's.
	ErrNotFound = &Error{Kind: KindNotFound, Code: CodeNotFound, Message: "The requested resource does not exist."}
	// ErrVersionConflict: the stream moved since it was loaded.
	ErrVersionConflict = &Error{Kind: KindConflict, Code: CodeVersionConflict, Message: "The resource was changed by another request; retry."}
	// ErrUnavailable: the store failed or timed out; nothing was written.
	ErrUnavailable = &Error{Kind: KindUnavailable, Code: CodeStoreUnavailable, Message: "The service is temporarily unavailable; retry later."}
	// ErrForbidden: the caller may not use this API.
	ErrForbidden = &Error{Kind: KindForbidden, Code: CodeForbidden, Message: "This API key may not call the management API."}
	// ErrUnauthenticated: credentials missing or wrong.
	ErrUnauthenticated = &Error{Kind: KindUnauthorized, Code: CodeUnauthenticated, Message: "Authentication required."}
)

// UniqueViolation is returned by Store.Commit when a uniqueness guard is
// already held by another aggregate.
type UniqueViolation struct{ Key string }

func (u *UniqueViolation) Error() string { return "unique key taken: " + u.Key }

// CheckFailed is returned by Store.Commit when a referenced aggregate was
// deleted or changed.
type CheckFailed struct{ Ref Ref }

func (c *CheckFailed) Error() string { return "check failed: " + c.Ref.Stream() }

// IdempotencyReplay is returned by Store.Commit when the idempotency record
// of the commit was already written by an earlier request.
type IdempotencyReplay struct{ Record IdemRecord }

func (i *IdempotencyReplay) Error() string { return "idempotency key already used: " + i.Record.Key }

// KindOf returns the kind of err, KindInternal for foreign errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

func invalid(code int, field, format string, args ...any) *Error {
	return E(KindInvalid, code, field, format, args...)
}

// Codes for identifiers and text (README "Errors"), Keystorm's own: no
// Stormpath code means a disallowed character, a mix of scripts or a
// structure too deep (its 2005 is a wrong character encoding, a different
// fault).
const (
	// CodeBadCharacter: a text property holds a character it may not:
	// control, bidirectional-control, invisible, private-use or unassigned
	// characters anywhere; spaces, padding or non-identifier characters in
	// a username; padding in an email.
	CodeBadCharacter = 8101
	// CodeMixedScripts: a username or email mixes writing systems within
	// one part, as look-alikes of another name do.
	CodeMixedScripts = 8102
	// CodeTooComplex: customData (or a request body) nests too deeply, or
	// holds an object or array with too many members.
	CodeTooComplex = 8103
	// CodeBadPasswordHash: with passwordFormat=mcf, password is not an
	// imported hash Keystorm accepts (README "Importing password hashes").
	CodeBadPasswordHash = 8104
	// CodeHashAsPassword: a plaintext password that looks like a password
	// hash: an import that forgot passwordFormat=mcf.
	CodeHashAsPassword = 8105
)

// CodeWeakSecret: an imported API key's secret breaks the import rule
// (ImportedSecretRule): too short or too long for its alphabet, a
// character outside base64, too few distinct characters, or a kss_
// secret that is not a well-formed one of ours. Keystorm's own: Stormpath
// never took a secret from its caller.
const CodeWeakSecret = 8110
