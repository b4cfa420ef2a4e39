package domain_test

import (
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
)

func TestParseTimeRange(t *testing.T) {
	d := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		in       string
		from, to string // "" is open
	}{
		{"2015-02", "2015-02-01T00:00:00Z", "2015-03-01T00:00:00Z"},
		{"2015", "2015-01-01T00:00:00Z", "2016-01-01T00:00:00Z"},
		{"2015-02-28", "2015-02-28T00:00:00Z", "2015-03-01T00:00:00Z"},
		{"2015-02-01T12", "2015-02-01T12:00:00Z", "2015-02-01T13:00:00Z"},
		{"[2015-01-01, 2015-02-01)", "2015-01-01T00:00:00Z", "2015-02-01T00:00:00Z"},
		{"[2015-01-01, 2015-02-01]", "2015-01-01T00:00:00Z", "2015-02-02T00:00:00Z"},
		{"(2015-02,]", "2015-03-01T00:00:00Z", ""},
		{"[,2015-02-01T10:00:00Z)", "", "2015-02-01T10:00:00Z"},
		{"[2015-02-01T10:00:00+02:00,]", "2015-02-01T08:00:00Z", ""},
		{"(2015-02-01T10:00:00.015Z,]", "2015-02-01T10:00:00.016Z", ""},
		{"(2015-02-01T10:00:00.39Z,]", "2015-02-01T10:00:00.391Z", ""},
		{"[2015-02-01T10:00:00.1Z, 2015-02-01T10:00:00.123456Z]", "2015-02-01T10:00:00.1Z", "2015-02-01T10:00:00.123457Z"},
	} {
		r, err := domain.ParseTimeRange(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var from, to time.Time
		if tc.from != "" {
			from = d(tc.from)
		}
		if tc.to != "" {
			to = d(tc.to)
		}
		if !r.From.Equal(from) || !r.To.Equal(to) {
			t.Errorf("%s: [%v, %v), want [%v, %v)", tc.in, r.From, r.To, from, to)
		}
	}
	for _, in := range []string{"", "yesterday", "[,]", "[2015-02-01, 2015-01-01]", "[2015", "2015-02-01,2015-03-01", "[a,b]", "[2015,2016,2017]", "20150", "2015-13"} {
		if r, err := domain.ParseTimeRange(in); err == nil {
			t.Errorf("%q accepted as %+v", in, r)
		}
	}
}
