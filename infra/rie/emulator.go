package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// InvokePath is where the emulator accepts invocations.
	InvokePath = "/2015-03-31/functions/function/invocations"

	// readyTimeout bounds how long Start waits for the emulator's HTTP port.
	readyTimeout = 10 * time.Second
	// stopTimeout bounds how long Close waits after SIGTERM before SIGKILL.
	stopTimeout = 5 * time.Second
	// initReportWait bounds how long InitDurationMs waits for the INIT
	// REPORT line to come through the output pipe after an invoke.
	initReportWait = 5 * time.Second
	// startAttempts is how often Start retries when a port it picked was
	// taken by someone else between picking and binding.
	startAttempts = 3
)

// defaultEnv is given to every emulator before the caller's env. Real Lambda
// always sets the region; the emulator does not, so we default it to the
// region of the emulator's fake function ARN (arn:aws:lambda:us-east-1:...).
var defaultEnv = []string{
	"AWS_REGION=us-east-1",
	"AWS_DEFAULT_REGION=us-east-1",
}

// initReportRE matches the emulator's cold-start line, in classic mode
// "INIT REPORT(durationMs: 5.294000)". It tolerates extra fields before
// durationMs, as the managed-instances mode prints.
var initReportRE = regexp.MustCompile(`INIT REPORT\([^)]*?durationMs: ([0-9]+(?:\.[0-9]+)?)`)

// Emulator is a running aws-lambda-rie process serving one bootstrap. It holds
// the machine-wide emulator lock until Close.
type Emulator struct {
	addr       string // host:port of the invoke endpoint
	runtimeAPI string // host:port of the Runtime API given to the bootstrap
	cmd        *exec.Cmd
	exited     chan struct{} // closed once cmd.Wait returns
	out        *outputSink
	lock       *os.File
	client     *http.Client
	invoked    atomic.Bool
	closeOnce  sync.Once
	closeErr   error
}

// Start runs aws-lambda-rie with bootstrapPath as the function, listening on
// free loopback ports, and returns once the invoke endpoint accepts
// connections. The bootstrap itself is only executed on the first Invoke.
//
// env is the emulator's whole environment apart from PATH and the region
// defaults (AWS_REGION and AWS_DEFAULT_REGION, us-east-1); the emulator
// passes all of it on to the bootstrap. Pass append(os.Environ(), ...) to
// inherit this process's environment instead. Later entries win.
//
// Start first waits, as long as ctx allows, for the machine-wide lock at
// LockPath, so emulators started from parallel test processes run one
// after another. The caller must Close the Emulator to release it.
func Start(ctx context.Context, bootstrapPath string, env []string) (*Emulator, error) {
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_LAMBDA_MAX_CONCURRENCY=") {
			return nil, errors.New("rie: AWS_LAMBDA_MAX_CONCURRENCY switches the emulator to its managed-instances mode, which this package does not drive")
		}
	}
	bootstrap, err := filepath.Abs(bootstrapPath)
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	if fi, err := os.Stat(bootstrap); err != nil {
		return nil, fmt.Errorf("rie: bootstrap: %w", err)
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("rie: bootstrap %s is not an executable file", bootstrap)
	}
	// Build the emulator (possibly slow) before queueing for the lock.
	rieBin, err := emulatorBinary(ctx)
	if err != nil {
		return nil, err
	}
	lock, err := acquireLock(ctx)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range startAttempts {
		e, retry, err := launch(ctx, rieBin, bootstrap, env)
		if err == nil {
			e.lock = lock
			return e, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	lock.Close()
	return nil, lastErr
}

// launch starts one emulator process and waits for it to be ready. retry
// reports whether the failure looks like a lost race for a port.
func launch(ctx context.Context, rieBin, bootstrap string, env []string) (e *Emulator, retry bool, err error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, false, err
	}
	runtimeAPI, err := freeAddr()
	if err != nil {
		return nil, false, err
	}
	out := newOutputSink()
	// Not CommandContext: ctx bounds Start, not the emulator's lifetime.
	cmd := exec.Command(rieBin,
		"--log-level", "info", // INIT REPORT is logged at info; overrides LOG_LEVEL
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", runtimeAPI,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap) // becomes the bootstrap's cwd, like /var/task
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH")}, defaultEnv...), env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("rie: start emulator: %w", err)
	}
	e = &Emulator{
		addr:       addr,
		runtimeAPI: runtimeAPI,
		cmd:        cmd,
		exited:     make(chan struct{}),
		out:        out,
		client:     &http.Client{Transport: &http.Transport{}},
	}
	go func() {
		cmd.Wait()
		close(e.exited)
	}()

	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// A bare TCP connect: any HTTP request to the emulator would be
		// treated as an invoke and start the bootstrap.
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return e, false, nil
		}
		select {
		case <-e.exited:
			output := out.String()
			return nil, strings.Contains(output, "address already in use"),
				fmt.Errorf("rie: emulator exited before becoming ready (%v):\n%s", cmd.ProcessState, output)
		case <-ctx.Done():
			e.stop()
			return nil, false, fmt.Errorf("rie: waiting for emulator: %w", ctx.Err())
		case <-deadline.C:
			e.stop()
			return nil, false, fmt.Errorf("rie: emulator not ready on %s after %s:\n%s", addr, readyTimeout, out.String())
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("rie: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Addr is the host:port of the emulator's invoke endpoint.
func (e *Emulator) Addr() string { return e.addr }

// RuntimeAPIAddr is the host:port of the Runtime API the bootstrap talks to
// (its AWS_LAMBDA_RUNTIME_API).
func (e *Emulator) RuntimeAPIAddr() string { return e.runtimeAPI }

// Output returns everything the emulator and the function wrote so far, both
// streams interleaved: the emulator's own log lines, START/END/REPORT lines,
// and the function's stdout and stderr.
func (e *Emulator) Output() string { return e.out.String() }

// Invoke sends payload as one invocation and returns the function's response
// body. The emulator answers 200 also when the handler returns an error, with
// a body like {"errorMessage":"...","errorType":"..."}; a non-200 status
// (502 when the bootstrap fails to start) is returned as an error, together
// with whatever body came back. There is no built-in timeout: use ctx.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	e.invoked.Store(true)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.addr+InvokePath, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return body, fmt.Errorf("rie: invoke: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("rie: invoke: HTTP %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

// InitDurationMs returns the cold start the emulator measured on the first
// invoke, from its "INIT REPORT(durationMs: ...)" line: the time from exec of
// the bootstrap until its first request for the next event. (The "Init
// Duration" on the REPORT line measures something else and is not used.) It
// must be called after an Invoke; it waits briefly for the line to arrive.
func (e *Emulator) InitDurationMs() (float64, error) {
	if !e.invoked.Load() {
		return 0, errors.New("rie: no INIT REPORT before the first Invoke")
	}
	select {
	case <-e.out.initSeen:
	case <-time.After(initReportWait):
		return 0, fmt.Errorf("rie: no INIT REPORT line in emulator output:\n%s", e.out.String())
	}
	return e.out.initMs(), nil
}

// Close stops the emulator and the function, then releases the lock. It is
// safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.closeErr = e.stop()
		e.client.CloseIdleConnections()
		if e.lock != nil {
			e.lock.Close()
		}
	})
	return e.closeErr
}

// stop sends SIGTERM, on which the emulator SIGKILLs the runtime, waits for
// it and exits. If it does not exit in time, its process group and the
// runtime's (the emulator starts the bootstrap in a group of its own) are
// killed.
func (e *Emulator) stop() error {
	pid := e.cmd.Process.Pid
	children := childPIDs(pid)
	select {
	case <-e.exited:
		return nil
	default:
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-e.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	for _, c := range children {
		_ = syscall.Kill(-c, syscall.SIGKILL)
		_ = syscall.Kill(c, syscall.SIGKILL)
	}
	select {
	case <-e.exited:
	case <-time.After(stopTimeout):
	}
	return fmt.Errorf("rie: emulator did not stop within %s of SIGTERM and was killed", stopTimeout)
}

// outputSink collects the emulator's combined output and watches it, line by
// line, for the first INIT REPORT.
type outputSink struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	scanned  int // bytes of buf already split into lines
	initDur  float64
	initSeen chan struct{} // closed once initDur is set
}

func newOutputSink() *outputSink {
	return &outputSink{initSeen: make(chan struct{})}
}

func (s *outputSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for {
		rest := s.buf.Bytes()[s.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		s.scanned += i + 1
		s.scanLine(rest[:i])
	}
	return len(p), nil
}

func (s *outputSink) scanLine(line []byte) {
	select {
	case <-s.initSeen:
		return // only the first INIT REPORT is the cold start
	default:
	}
	m := initReportRE.FindSubmatch(line)
	if m == nil {
		return
	}
	if v, err := strconv.ParseFloat(string(m[1]), 64); err == nil {
		s.initDur = v
		close(s.initSeen)
	}
}

func (s *outputSink) initMs() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initDur
}

func (s *outputSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
