package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rie"
	"github.com/keystorm/keystorm/infra/sample"
)

// helloPkg is the baseline function; hello is its name in the table.
const (
	helloPkg = "./scripts/coldstart/testdata/hello"
	hello    = "hello"
)

// firstEvents names the sample each function's first invocation gets: the
// request it most typically serves cold (an API read, a Bearer token
// check, a token grant, the scheduled rotation). A function not listed
// gets its first sample in name order.
var firstEvents = map[string]string{
	"accounts":     "create.json",
	"apikeys":      "list.json",
	"applications": "list.json",
	"authorizer":   "request-bearer.json",
	"example":      "get-equipment.json",
	"groups":       "list.json",
	"oauth":        "token.json",
	"rotate":       "scheduled.json",
	"sweep":        "scheduled.json",
	"tenants":      "get-current.json",
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// target is one binary to measure.
type target struct {
	name      string
	pkg       string
	bootstrap string
	size      int64
	event     []byte
	runs      []sampleRun
}

// sampleRun is one cold start, in milliseconds: INIT, and the whole cold
// request (INIT included); and, from a separate start outside the
// emulator, the package init of each package (pkgInit).
type sampleRun struct {
	init, total float64
	pkgs        map[string]float64
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coldstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		n       = fs.Int("n", 5, "cold runs per function (the medians are printed)")
		only    = fs.String("fn", "", "comma-separated `names` under ./functions (default: all)")
		top     = fs.Int("top", 3, "packages to list per function by package init time (0: none)")
		timeout = fs.Duration("timeout", 15*time.Minute, "overall time limit")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *n < 1 {
		fmt.Fprintln(stderr, "coldstart: -n must be at least 1, and no arguments")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := measure(ctx, *n, *only, *top, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "coldstart: %v\n", err)
		return 1
	}
	return 0
}

func measure(ctx context.Context, n int, only string, top int, stdout, stderr io.Writer) (err error) {
	root, err := rie.ModuleRoot(ctx)
	if err != nil {
		return err
	}
	names, err := functionNames(root, only)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "coldstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	targets := []*target{{name: hello, pkg: helloPkg, event: []byte("{}")}}
	for _, name := range names {
		targets = append(targets, &target{name: name, pkg: "./functions/" + name})
	}
	for _, t := range targets {
		fmt.Fprintf(stderr, "coldstart: building %s\n", t.pkg)
		if t.bootstrap, err = build(ctx, root, t.pkg, filepath.Join(dir, t.name)); err != nil {
			return err
		}
		fi, err := os.Stat(t.bootstrap)
		if err != nil {
			return err
		}
		t.size = fi.Size()
	}

	w, err := sample.Start(ctx, sample.Options{Clock: domain.SystemClock})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, w.Close()) }()
	var env []string
	for k, v := range w.Vars() {
		env = append(env, k+"="+v)
	}
	// The projector's API Gateway has no local stand-in: point it where
	// nothing listens, so a measured run never reaches AWS.
	env = append(env, "AWS_ENDPOINT_URL_API_GATEWAY=http://127.0.0.1:1")
	slices.Sort(env)
	for _, t := range targets[1:] {
		if t.event, err = firstEvent(ctx, root, w, t.name); err != nil {
			return err
		}
	}

	for i := range n {
		fmt.Fprintf(stderr, "coldstart: run %d of %d\n", i+1, n)
		for _, t := range targets {
			r, err := coldRun(ctx, t, append(slices.Clone(env), "AWS_LAMBDA_FUNCTION_NAME="+t.name))
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if r.pkgs, err = pkgInit(ctx, t.bootstrap); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			t.runs = append(t.runs, r)
		}
	}
	report(stdout, n, targets)
	reportPackages(stdout, top, targets)
	return nil
}

// functionNames lists the folders of ./functions, or checks the ones
// asked for.
func functionNames(root, only string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, err
	}
	var all []string
	for _, e := range entries {
		if e.IsDir() {
			all = append(all, e.Name())
		}
	}
	if only == "" {
		return all, nil
	}
	var out []string
	for _, name := range strings.Split(only, ",") {
		if !slices.Contains(all, name) {
			return nil, fmt.Errorf("no function %q under ./functions", name)
		}
		out = append(out, name)
	}
	return out, nil
}

// build compiles pkg as template.yaml's build notes say (CGO_ENABLED=0
// GOFLAGS="-trimpath -ldflags=-s -tags=lambda.norpc"), for the host
// rather than linux/arm64 so the emulator can run it. rie.Build is not
// used: it strips with -s -w, and the figures must be those of the
// template's binaries.
func build(ctx context.Context, root, pkg, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-trimpath -ldflags=-s -tags=lambda.norpc",
		"GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// firstEvent reads the function's first sample and fills in the seeded
// ids.
func firstEvent(ctx context.Context, root string, w *sample.World, name string) ([]byte, error) {
	dir := filepath.Join(root, "functions", name, "testdata")
	file, ok := firstEvents[name]
	if !ok {
		matches, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("%s: no sample event under %s", name, dir)
		}
		file = filepath.Base(matches[0])
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, err
	}
	return w.Fill(ctx, b)
}

// reportRE matches the Duration of the emulator's REPORT line (not its
// "Init Duration", which measures nothing useful; see infra/rie).
var reportRE = regexp.MustCompile(`REPORT RequestId: .*?\tDuration: ([0-9.]+) ms`)

// coldRun starts a fresh emulator, so the invocation is a cold start,
// and reads both durations from its output. The emulator execs the
// bootstrap only when the first invoke arrives, so that invoke's REPORT
// Duration spans INIT as well: it is the whole cold request.
func coldRun(ctx context.Context, t *target, env []string) (r sampleRun, err error) {
	em, err := rie.Start(ctx, t.bootstrap, env)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, em.Close()) }()
	body, err := em.Invoke(ctx, t.event)
	if err != nil {
		return r, fmt.Errorf("%w\n%s", err, em.Output())
	}
	if bytesHasError(body) {
		return r, fmt.Errorf("handler error: %s", body)
	}
	if r.init, err = em.InitDurationMs(); err != nil {
		return r, err
	}
	// The REPORT line may trail the response through the output pipe.
	deadline := time.Now().Add(2 * time.Second)
	for {
		if m := reportRE.FindStringSubmatch(em.Output()); m != nil {
			r.total, err = strconv.ParseFloat(m[1], 64)
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("no REPORT line in emulator output:\n%s", em.Output())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// initRE matches a line of GODEBUG=inittrace=1: the package and the wall
// time its init took.
var initRE = regexp.MustCompile(`(?m)^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// pkgInit starts the bootstrap outside the emulator with
// GODEBUG=inittrace=1 and returns each package's init time in
// milliseconds: the part of INIT that linking decides, and the one place
// to see which packages it goes to. With no Lambda variables the binary
// exits in main (lambda.Start, or a configuration check), after every
// package init has run. inittrace's own bookkeeping adds a little to each
// figure, so their sum reads somewhat above the true cost.
func pkgInit(ctx context.Context, bootstrap string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bootstrap)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GODEBUG=inittrace=1"}
	var out strings.Builder
	cmd.Stderr = &out
	_ = cmd.Run() // it is meant to exit with an error: there is no runtime API
	pkgs := map[string]float64{}
	for _, m := range initRE.FindAllStringSubmatch(out.String(), -1) {
		ms, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return nil, err
		}
		pkgs[m[1]] += ms
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no inittrace output from %s:\n%s", bootstrap, out.String())
	}
	return pkgs, nil
}

// bytesHasError reports the emulator's answer to a handler error. The
// authorizer's "Unauthorized" would be one too: the samples are filled so
// that they pass, and a failing one must not be measured as a success.
func bytesHasError(body []byte) bool {
	return strings.Contains(string(body), `"errorMessage"`)
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report prints one line per binary, hello-world first.
func report(w io.Writer, n int, targets []*target) {
	med := func(t *target, f func(sampleRun) float64) float64 {
		v := make([]float64, len(t.runs))
		for i, r := range t.runs {
			v[i] = f(r)
		}
		return median(v)
	}
	total := func(r sampleRun) float64 { return r.total }
	base := med(targets[0], total)
	fmt.Fprintf(w, "cold start under aws-lambda-rie, median of %d runs (%s/%s, %s)\n", n, runtime.GOOS, runtime.GOARCH, runtime.Version())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "function\tsize MiB\tpkg init ms\tINIT ms\tfirst invoke ms\ttotal ms\tvs hello ms\t")
	for _, t := range targets {
		tot := med(t, total)
		var pkg float64
		for _, ms := range packageMedians(t) {
			pkg += ms
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%+.2f\t\n", t.name, float64(t.size)/(1<<20), pkg,
			med(t, func(r sampleRun) float64 { return r.init }), med(t, func(r sampleRun) float64 { return r.total - r.init }), tot, tot-base)
	}
	tw.Flush()
}

// packageMedians is each package's median init time over t's runs (a
// package missing from a run counts as 0 there).
func packageMedians(t *target) map[string]float64 {
	all := map[string][]float64{}
	for i, r := range t.runs {
		for p, ms := range r.pkgs {
			if all[p] == nil {
				all[p] = make([]float64, len(t.runs))
			}
			all[p][i] = ms
		}
	}
	out := make(map[string]float64, len(all))
	for p, v := range all {
		out[p] = median(v)
	}
	return out
}

// reportPackages lists, per function, the top packages by init time
// that hello-world does not link: where a function's extra package init
// goes.
func reportPackages(w io.Writer, top int, targets []*target) {
	if top <= 0 {
		return
	}
	base := packageMedians(targets[0])
	fmt.Fprintf(w, "package init not in hello, top %d (median ms, GODEBUG=inittrace=1):\n", top)
	for _, t := range targets[1:] {
		type pkg struct {
			name string
			ms   float64
		}
		var extra []pkg
		var sum float64
		for p, ms := range packageMedians(t) {
			if _, ok := base[p]; !ok {
				extra = append(extra, pkg{p, ms})
				sum += ms
			}
		}
		slices.SortFunc(extra, func(a, b pkg) int {
			if a.ms != b.ms {
				return cmp.Compare(b.ms, a.ms)
			}
			return strings.Compare(a.name, b.name)
		})
		var parts []string
		for _, p := range extra[:min(top, len(extra))] {
			parts = append(parts, fmt.Sprintf("%s %.2f", p.name, p.ms))
		}
		fmt.Fprintf(w, "  %s: %d packages, %.2f ms; %s\n", t.name, len(extra), sum, strings.Join(parts, ", "))
	}
}
