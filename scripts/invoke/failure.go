package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// emulatorLineRE matches the emulator's own log lines, such as
// "27 Nov 2026 13:28:22,208 [ERROR] (rapid) Init failed error=...".
var emulatorLineRE = regexp.MustCompile(`^\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[([A-Z]+)\] \(rapid\) (.*)$`)

// reportLineRE matches the START/END/REPORT lines the emulator writes
// to stdout around each invoke.
var reportLineRE = regexp.MustCompile(`^(START|END|REPORT) RequestId: `)

// maxOwnLines bounds how much of the function's output a failure quotes;
// the last lines are the ones that explain it.
const maxOwnLines = 20

// invokeFailure explains an invoke the emulator could not complete. The
// commonest case is a function that exits during init (a missing
// variable: runtime.Fatal logs it and exits 1): the emulator then answers
// HTTP 502 with an empty body, which says nothing. The function's own
// output (its JSON log lines) says what went wrong, so it is quoted here,
// with the emulator's error lines, whether or not -logs was given.
func invokeFailure(err error, output string) error {
	var own, emulator []string
	initFailed := false
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || reportLineRE.MatchString(line) {
			continue
		}
		if m := emulatorLineRE.FindStringSubmatch(line); m != nil {
			if strings.HasPrefix(m[2], "Init failed") || strings.Contains(m[2], "INIT RTDONE(status: error)") {
				initFailed = true
			}
			if m[1] == "ERROR" {
				emulator = append(emulator, m[2])
			}
			continue
		}
		own = append(own, line)
	}
	var b strings.Builder
	if initFailed {
		b.WriteString("the function failed at init: it exited before asking for its first event, so the emulator could only answer HTTP 502 with an empty body.")
	} else {
		fmt.Fprintf(&b, "the emulator could not complete the invoke: %v", err)
	}
	if len(own) == 0 {
		b.WriteString("\nThe function printed nothing.")
	} else {
		if len(own) > maxOwnLines {
			own = own[len(own)-maxOwnLines:]
		}
		b.WriteString("\nThe function's own output:")
		for _, l := range own {
			b.WriteString("\n    " + l)
		}
	}
	if len(emulator) > 0 {
		b.WriteString("\nThe emulator's errors:")
		for _, l := range emulator {
			b.WriteString("\n    " + l)
		}
	}
	if initFailed {
		b.WriteString("\nA missing or wrong variable is the usual cause: see the function's doc.go, what invoke defaulted above, and -env K=V.")
	}
	return errors.New(b.String())
}
