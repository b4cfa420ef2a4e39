package authorizer

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// MaxHeaderBytes bounds the Authorization header. A Basic header carrying a
// Keystorm key id and secret is under 120 bytes; anything over 4 KB is not a
// credential, and refusing it early bounds the work an attacker can cause.
const MaxHeaderBytes = 4096

// Scheme is an authentication scheme the authorizer understands.
type Scheme int

// Schemes. SchemeBearer is reserved for JWT access tokens (issue 3).
const (
	SchemeBasic Scheme = iota + 1
)

func (s Scheme) String() string {
	switch s {
	case SchemeBasic:
		return "Basic"
	default:
		return "unknown"
	}
}

// Parse errors. Both mean "deny"; they are distinct only for tests and
// debug logs.
var (
	ErrMissingHeader   = errors.New("no Authorization header")
	ErrMalformedHeader = errors.New("malformed Authorization header")
)

// Credentials is a parsed Authorization header. Its String, GoString and
// LogValue methods redact the secret, so logging one by mistake leaks
// nothing.
type Credentials struct {
	Scheme Scheme
	// ID and Secret are the Basic user-id and password: an API key id and
	// its secret.
	ID     string
	Secret string
}

func (c Credentials) String() string {
	return "Credentials{Scheme: " + c.Scheme.String() + ", ID: " + c.ID + ", Secret: [redacted]}"
}

// GoString implements fmt.GoStringer (%#v) with the secret redacted.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the secret left out.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("scheme", c.Scheme.String()), slog.String("id", c.ID))
}

// ParseAuthorization parses an Authorization header value. It accepts
// exactly "<scheme> SP <credentials>" with a case-insensitive scheme;
// today only Basic. For Basic it requires standard base64 (padding
// optional, but correct when present, and canonical: no stray bits),
// decoding to valid UTF-8 without control characters (RFC 7617), split at
// the first colon into a non-empty id and a non-empty secret.
//
// Whitespace is never skipped: not around the value, not repeated between
// scheme and credentials, and not inside the base64 (Go's decoder would
// silently drop CR and LF there). Headers over MaxHeaderBytes are refused
// unread. Errors: ErrMissingHeader, ErrMalformedHeader.
func ParseAuthorization(h string) (Credentials, error) {
	if h == "" {
		return Credentials{}, ErrMissingHeader
	}
	if len(h) > MaxHeaderBytes {
		return Credentials{}, ErrMalformedHeader
	}
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return Credentials{}, ErrMalformedHeader
	}
	switch {
	case strings.EqualFold(scheme, "Basic"):
		return parseBasic(rest)
	default:
		return Credentials{}, ErrMalformedHeader
	}
}

func parseBasic(tok string) (Credentials, error) {
	body := strings.TrimRight(tok, "=")
	if pad := len(tok) - len(body); pad > 2 || (pad > 0 && len(tok)%4 != 0) {
		return Credentials{}, ErrMalformedHeader
	}
	if body == "" {
		return Credentials{}, ErrMalformedHeader
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return Credentials{}, ErrMalformedHeader
		}
	}
	raw, err := base64.RawStdEncoding.Strict().DecodeString(body)
	if err != nil || !utf8.Valid(raw) {
		return Credentials{}, ErrMalformedHeader
	}
	for _, b := range raw {
		if b < 0x20 || b == 0x7f {
			return Credentials{}, ErrMalformedHeader
		}
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok || id == "" || secret == "" {
		return Credentials{}, ErrMalformedHeader
	}
	return Credentials{Scheme: SchemeBasic, ID: id, Secret: secret}, nil
}

// BasicHeader encodes an API key id and secret as a Basic Authorization
// header value, the way clients (curl --user) send it.
func BasicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}
