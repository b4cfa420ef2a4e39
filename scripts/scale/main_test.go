package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestScaleSmallRun runs the whole script at a toy size: it builds and
// starts the real local server, restarts it, fills its store and prints a
// row of figures for every operation. The figures are not judged.
func TestScaleSmallRun(t *testing.T) {
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"-small", "4", "-accounts", "12", "-keys", "2", "-samples", "3", "-workers", "2"}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	got := out.String()
	for _, name := range opNames {
		row := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(name) + ` +\| [^|]+\| [0-9.]+ ms \([0-9.]+\) +\|`)
		if !row.MatchString(got) {
			t.Errorf("no figures for %q in:\n%s", name, got)
		}
	}
	for _, want := range []string{"| 8 keys, 4 accounts", "| 24 keys, 12 accounts", "restart with -data", "Fill: 8 accounts with 2 keys each"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestScaleRefusesBadSizes(t *testing.T) {
	for _, args := range [][]string{{"-small", "1"}, {"-accounts", "5", "-small", "10"}, {"-keys", "0"}, {"-samples", "0"}, {"extra"}} {
		var out, errs bytes.Buffer
		if err := run(context.Background(), args, &out, &errs); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
