package rie

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the emulator in its own process group and has the kernel
// kill it if this process dies without calling Close (a test timeout panic,
// say), so orphaned emulators do not pile up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// childPIDs lists the direct children of pid from /proc. Best effort: an
// empty result just means Close cannot clean up after an emulator that
// refused to stop on SIGTERM.
func childPIDs(pid int) []int {
	taskDir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(taskDir)
	if err != nil {
		return nil
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile(taskDir + "/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}
