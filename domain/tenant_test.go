package domain_test

import (
	"strings"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// TestChooseTenant: the one rule every store's OnlyTenant follows.
func TestChooseTenant(t *testing.T) {
	for _, tc := range []struct {
		ids         []string
		want, got   string
		errIncludes string
	}{
		{[]string{"a"}, "", "a", ""},
		{[]string{"a", "b"}, "b", "b", ""},
		{[]string{"a"}, "z", "", `no tenant "z"`},
		{nil, "", "", "no tenant"},
		{[]string{"b", "a"}, "", "", "-tenant-id (a, b)"},
	} {
		got, err := domain.ChooseTenant(tc.ids, tc.want)
		if got != tc.got || (tc.errIncludes == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.errIncludes)) {
			t.Errorf("ChooseTenant(%v, %q) = %q, %v", tc.ids, tc.want, got, err)
		}
	}
}
