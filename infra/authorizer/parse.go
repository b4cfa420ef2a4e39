package authorizer

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// MaxHeaderBytes bounds the Authorization header: "Bearer " and the
// largest access token infra/tokens accepts (tokens.MaxTokenSize, 8 KB; a
// Keystorm token is under 1 KB plus its scope string). A Basic header
// carrying a Keystorm key id and secret is under 120 bytes. Anything
// longer is not a credential Keystorm issued, and refusing it unread
// bounds the work an attacker can cause.
const MaxHeaderBytes = len("Bearer ") + 8<<10

// Scheme is an authentication scheme the authorizer understands.
type Scheme int

// Schemes: HTTP Basic with an API key id and secret (RFC 7617), and
// Bearer with an OAuth access token (RFC 6750).
const (
	SchemeBasic Scheme = iota + 1
	SchemeBearer
)

func (s Scheme) String() string {
	switch s {
	case SchemeBasic:
		return "Basic"
	case SchemeBearer:
		return "Bearer"
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
// LogValue methods redact the secret and the token, so logging one by
// mistake leaks nothing.
type Credentials struct {
	Scheme Scheme
	// ID and Secret are the Basic user-id and password: an API key id and
	// its secret. Both are empty for Bearer.
	ID     string
	Secret string
	// Token is the Bearer access token; empty for Basic.
	Token string
}

func (c Credentials) String() string {
	if c.Scheme == SchemeBearer {
		return "Credentials{Scheme: Bearer, Token: [redacted]}"
	}
	return "Credentials{Scheme: " + c.Scheme.String() + ", ID: " + c.ID + ", Secret: [redacted]}"
}

// GoString implements fmt.GoStringer (%#v) with the secret redacted.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the secret and token left out.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("scheme", c.Scheme.String()), slog.String("id", c.ID))
}

// ParseAuthorization parses an Authorization header value. It accepts
// exactly "<scheme> SP <credentials>" with a case-insensitive scheme,
// Basic or Bearer.
//
// For Bearer it requires an RFC 6750 b64token: one or more of
// A-Z a-z 0-9 - . _ ~ + /, then optional "=" padding and nothing after it.
// It does not look inside the token: the verifier judges its format,
// algorithm, signature and claims.
//
// For Basic it requires standard base64 (padding
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
	case strings.EqualFold(scheme, "Bearer"):
		return parseBearer(rest)
	default:
		return Credentials{}, ErrMalformedHeader
	}
}

// basicBuffer holds a decoded Basic credential of a Keystorm key: a
// 25-character id, a colon and a 53-character secret, with room to spare.
const basicBuffer = 128

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
	// Decoded into a stack buffer: a Keystorm key's id:secret fits, so
	// the string below is the only allocation.
	var buf [basicBuffer]byte
	raw := buf[:0]
	if n := base64.RawStdEncoding.DecodedLen(len(body)); n > len(buf) {
		raw = make([]byte, 0, n)
	}
	raw, err := base64.RawStdEncoding.Strict().AppendDecode(raw, []byte(body))
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

func parseBearer(tok string) (Credentials, error) {
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return Credentials{}, ErrMalformedHeader
	}
	for i := 0; i < len(body); i++ {
		if !b64token[body[i]] {
			return Credentials{}, ErrMalformedHeader
		}
	}
	return Credentials{Scheme: SchemeBearer, Token: tok}, nil
}

// b64token marks the characters of an RFC 6750 b64token before its "="
// padding. A table, since a token is up to 8 KB and is scanned on every
// call, cache hits included.
var b64token = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/" {
		t[c] = true
	}
	return t
}()

// BearerHeader is the Authorization header value for an access token.
func BearerHeader(token string) string { return "Bearer " + token }

// BasicHeader encodes an API key id and secret as a Basic Authorization
// header value, the way clients (curl --user) send it.
func BasicHeader(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}
