package logpos

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// atLayout is RFC 3339 in UTC with all nine fraction digits. Every key
// has the same width, so text order is time order; RFC3339Nano trims
// trailing zeros ("…:05Z" sorts after "…:05.1Z"), which is why the
// stored "at" cannot be the sort key itself.
const atLayout = "2006-01-02T15:04:05.000000000Z"

// AtLen is the length of every AtKey (for years 0000..9999).
const AtLen = len(atLayout)

// AtKey returns t's sortable time key.
func AtKey(t time.Time) string { return t.UTC().Format(atLayout) }

// ValidAtKey reports whether k is an AtKey.
func ValidAtKey(k string) bool {
	if len(k) != AtLen {
		return false
	}
	t, err := time.Parse(atLayout, k)
	return err == nil && AtKey(t) == k
}

// Position is an event's place in a tenant's log: newest first by At,
// then Stream, then Version, all descending. A cursor names the last
// event a page read; the next page starts strictly after it. At may be
// empty when the listing is of one stream, where Version alone orders.
type Position struct {
	Tenant  string `json:"t"`
	At      string `json:"a,omitempty"`
	Stream  string `json:"s"`
	Version int64  `json:"v"`
}

// Encode returns the opaque cursor for p: base64url of its JSON, so it
// travels in a query string untouched.
func (p Position) Encode() string {
	b, err := json.Marshal(p)
	if err != nil {
		// A struct of strings and an integer always marshals.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor made by Encode for tenant's listing. Anything
// else (garbage, a cursor of another tenant's listing, a position no
// event can have) is domain.ErrBadCursor: a cursor is only ever handed
// back, so one that does not decode was not made here.
func Decode(tenant, cursor string) (Position, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil {
		return Position{}, fmt.Errorf("%w: %v", domain.ErrBadCursor, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p Position
	if err := dec.Decode(&p); err != nil || dec.More() {
		return Position{}, domain.ErrBadCursor
	}
	if p.Tenant == "" || p.Tenant != tenant || p.Version < 1 || (p.At != "" && !ValidAtKey(p.At)) {
		return Position{}, domain.ErrBadCursor
	}
	if _, err := domain.ParseStream(p.Stream); err != nil {
		return Position{}, domain.ErrBadCursor
	}
	return p, nil
}

// Limit is the page size Events serves for a requested limit: the
// default for none, at most domain.MaxLimit.
func Limit(n int) int {
	if n <= 0 {
		return domain.DefaultLimit
	}
	return min(n, domain.MaxLimit)
}
