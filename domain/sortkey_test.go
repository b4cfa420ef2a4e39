package domain_test

import (
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// Sort keys go out in next links and come back as positions, so only the
// shape SortKey gives is accepted back.
func TestValidSortKey(t *testing.T) {
	b := domain.Base{ID: "bHO3GOcaHjBfTw1mn6jQoy", CreatedAt: time.Date(2026, 11, 27, 10, 0, 0, 5, time.FixedZone("x", 3600))}
	if k := b.SortKey(); !domain.ValidSortKey(k) {
		t.Fatalf("SortKey %q is not valid", k)
	}
	for _, k := range []string{
		"", "#", "2026-11-27T10:00:00.000000000Z", "2026-11-27T10:00:00.000000000Z#",
		"2026-11-27T10:00:00.000000000Z#a'b", "2026-11-27T10:00:00Z#abc", "2026-13-27T10:00:00.000000000Z#abc",
		"2026-11-27T10:00:00.000000000Z#abc#def", "2026-11-27T10:00:00.000000000+01#abc",
	} {
		if domain.ValidSortKey(k) {
			t.Errorf("%q accepted", k)
		}
	}
}
