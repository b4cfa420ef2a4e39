package domain

import (
	"errors"
	"fmt"
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
)

// Stable numeric error codes. They are part of the public API: clients may
// switch on them, so a code is never reused for another meaning. The README
// lists them.
const (
	CodeMalformedJSON      = 1000
	CodeUnsupportedMedia   = 1001
	CodeBodyTooLarge       = 1002
	CodeUnknownProperty    = 1003
	CodeInvalidQuery       = 1004
	CodeWrongType          = 1005
	CodeInvalidValue       = 2000
	CodeNotUnique          = 2001
	CodeRequired           = 2002
	CodeTooLong            = 2003
	CodeInvalidEmail       = 2004
	CodeWeakPassword       = 2005
	CodeInvalidStatus      = 2006
	CodeUnauthenticated    = 4010
	CodeForbidden          = 4030
	CodeNotFound           = 4040
	CodeMethodNotAllowed   = 4050
	CodeVersionConflict    = 4090
	CodeHasDependents      = 4091
	CodeProtectedResource  = 4092
	CodeIdempotencyReuse   = 4220
	CodeThrottled          = 4290
	CodeTimeout            = 5040
	CodeInternal           = 5000
	CodeStoreUnavailable   = 5030
	CodeCrossDirectoryLink = 2007
)

// Error is a domain error with a kind, a stable code, a message for people
// and an optional field it concerns. Its text is safe to show to clients.
type Error struct {
	Kind    Kind
	Code    int
	Message string
	Field   string
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

// Codes for identifiers and text (README "Errors").
const (
	// CodeBadCharacter: a text property holds a character it may not:
	// control, bidirectional-control, invisible, private-use or unassigned
	// characters anywhere; spaces, padding or non-identifier characters in
	// a username; padding in an email.
	CodeBadCharacter = 2008
	// CodeMixedScripts: a username or email mixes writing systems within
	// one part, as look-alikes of another name do.
	CodeMixedScripts = 2009
	// CodeTooComplex: customData (or a request body) nests too deeply, or
	// holds an object or array with too many members.
	CodeTooComplex = 2010
)
