package logpos_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/logpos"
)

// TestAtKeySortsAsTime: text order of the keys is time order, where the
// RFC3339Nano text is not ("…:00Z" sorts after "…:00.5Z").
func TestAtKeySortsAsTime(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	times := []time.Time{t0, t0.Add(time.Nanosecond), t0.Add(500 * time.Millisecond), t0.Add(time.Second), t0.Add(time.Second + 120*time.Microsecond)}
	nano := func(t time.Time) string { return t.Format(time.RFC3339Nano) }
	if nano(times[0]) < nano(times[2]) {
		t.Fatal("RFC3339Nano sorts as text after all: the fixed-width key is not needed")
	}
	for i := 1; i < len(times); i++ {
		a, b := logpos.AtKey(times[i-1]), logpos.AtKey(times[i])
		if a >= b || len(a) != logpos.AtLen || len(b) != logpos.AtLen {
			t.Fatalf("%s ≥ %s", a, b)
		}
		if !logpos.ValidAtKey(a) {
			t.Fatalf("%s is not valid", a)
		}
	}
	// Another zone is the same instant, the same key.
	if logpos.AtKey(t0.In(time.FixedZone("x", 3600))) != logpos.AtKey(t0) {
		t.Fatal("the key depends on the zone")
	}
}

func TestCursorRoundTripAndRefusals(t *testing.T) {
	p := logpos.Position{Tenant: "tnt1", At: logpos.AtKey(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)), Stream: "application#a1", Version: 7}
	c := p.Encode()
	if strings.ContainsAny(c, "+/=") {
		t.Fatalf("cursor %q is not URL-safe", c)
	}
	got, err := logpos.Decode("tnt1", c)
	if err != nil || got != p {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	bad := []struct{ name, tenant, cursor string }{
		{"garbage", "tnt1", "garbage!"},
		{"other tenant", "tnt2", c},
		{"no stream", "tnt1", logpos.Position{Tenant: "tnt1", Version: 1}.Encode()},
		{"version 0", "tnt1", logpos.Position{Tenant: "tnt1", Stream: "application#a1"}.Encode()},
		{"bad time", "tnt1", logpos.Position{Tenant: "tnt1", At: "2026-01-02T03:04:05Z", Stream: "application#a1", Version: 1}.Encode()},
		{"empty tenant", "", logpos.Position{Stream: "application#a1", Version: 1}.Encode()},
	}
	for _, b := range bad {
		if _, err := logpos.Decode(b.tenant, b.cursor); !errors.Is(err, domain.ErrBadCursor) {
			t.Errorf("%s: want ErrBadCursor, got %v", b.name, err)
		}
	}
	if got := []int{logpos.Limit(0), logpos.Limit(-3), logpos.Limit(7), logpos.Limit(domain.MaxLimit + 1)}; !slices.Equal(got, []int{domain.DefaultLimit, domain.DefaultLimit, 7, domain.MaxLimit}) {
		t.Fatalf("limits %v", got)
	}
}
