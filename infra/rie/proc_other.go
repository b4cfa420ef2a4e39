//go:build !linux

package rie

import "syscall"

// sysProcAttr puts the emulator in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// childPIDs is only implemented on Linux; elsewhere Close relies on the
// emulator stopping its runtime itself on SIGTERM.
func childPIDs(int) []int { return nil }
