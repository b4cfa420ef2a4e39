package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// rieTool is the tool name declared in go.mod for the emulator.
const rieTool = "aws-lambda-rie"

// ModuleRoot returns the directory holding the go.mod of the module the
// current working directory belongs to, as reported by `go env GOMOD`.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := goCmd(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(out)
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("rie: not inside a Go module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// Build compiles the main package pkg (an import path or a ./relative path,
// resolved against the module root) into dir/bootstrap the way SAM builds a
// provided.al2023 function, except that it targets the host GOOS/GOARCH so
// the result can run locally:
//
//	go build -trimpath -ldflags "-s -w" -tags lambda.norpc -o <dir>/bootstrap <pkg>
//
// dir is created if needed. Build also makes sure the emulator binary is
// built (once per process), so a following Start does not pay for it.
func Build(ctx context.Context, pkg, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("rie: build %s: %w", pkg, err)
	}
	out, err := filepath.Abs(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("rie: build %s: %w", pkg, err)
	}
	env := []string{"GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH}
	if _, err := goCmd(ctx, root, env,
		"build", "-trimpath", "-ldflags", "-s -w", "-tags", "lambda.norpc", "-o", out, pkg); err != nil {
		return "", fmt.Errorf("rie: build %s: %w", pkg, err)
	}
	if _, err := emulatorBinary(ctx); err != nil {
		return "", err
	}
	return out, nil
}

var rieCache struct {
	mu   sync.Mutex
	path string
}

// emulatorBinary returns the path of the aws-lambda-rie executable, building
// it on first use with `go tool -n`, which compiles the tool declared in
// go.mod into the Go build cache and prints its path. Only success is cached,
// so a cancelled first attempt does not poison later calls.
func emulatorBinary(ctx context.Context) (string, error) {
	rieCache.mu.Lock()
	defer rieCache.mu.Unlock()
	if rieCache.path != "" {
		if _, err := os.Stat(rieCache.path); err == nil {
			return rieCache.path, nil
		}
		// The build cache was trimmed under us; build it again.
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	out, err := goCmd(ctx, root, nil, "tool", "-n", rieTool)
	if err != nil {
		return "", fmt.Errorf("rie: build emulator: %w", err)
	}
	path := strings.TrimSpace(out)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("rie: build emulator: %w", err)
	}
	rieCache.path = path
	return path, nil
}

// goCmd runs the go command in dir with extra environment entries appended to
// the current environment (later entries win), returning its stdout.
func goCmd(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", cmdline(args), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// cmdline renders a go command for error messages, quoting arguments that
// contain spaces.
func cmdline(args []string) string {
	parts := []string{"go"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
