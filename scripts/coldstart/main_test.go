package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestColdstartOneFunction runs the whole benchmark once on one small
// function: it builds, seeds, runs cold under the emulator and prints a
// row per binary. The figures themselves are not checked: they depend on
// the machine.
func TestColdstartOneFunction(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-n", "1", "-fn", "tenants"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"size MiB", "pkg init ms", "INIT ms", "vs hello ms", " hello ", " tenants ", "package init not in hello", "  tenants: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRejectsUnknownFunction(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-fn", "nope"}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), `no function "nope"`) {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
}
