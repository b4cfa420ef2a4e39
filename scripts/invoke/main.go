package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/rie"
	"github.com/keystorm/keystorm/infra/sample"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// envFlags collects repeated -env K=V flags.
type envFlags []string

func (e *envFlags) String() string { return strings.Join(*e, ",") }

func (e *envFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want K=V, got %q", v)
	}
	*e = append(*e, v)
	return nil
}

// eventFlags collects repeated -e flags.
type eventFlags []string

func (e *eventFlags) String() string { return strings.Join(*e, ",") }

func (e *eventFlags) Set(v string) error {
	if v == "-" && slices.Contains(*e, "-") {
		return errors.New("stdin can be read only once")
	}
	*e = append(*e, v)
	return nil
}

// event is one payload to send, named for messages.
type event struct {
	name    string
	payload []byte
}

// options are the parsed flags that shape an invoke.
type options struct {
	fn       string // "" with -pkg
	target   string // the package to build
	showLogs bool
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		fn         = fs.String("fn", "", "function `name`: builds ./functions/NAME, seeds a store and fills the sample ids in")
		pkg        = fs.String("pkg", "", "main `package` to build instead of -fn, e.g. ./infra/rie/testdata/echo (no seeding, no defaults)")
		inheritEnv = fs.Bool("inherit-env", false, "pass this process's environment to the function")
		noSeed     = fs.Bool("no-seed", false, "with -fn: no embedded store, no defaults, the event sent as is (also implied by a given DYNAMODB_ENDPOINT)")
		showLogs   = fs.Bool("logs", false, "print the emulator and function output to stderr")
		timeout    = fs.Duration("timeout", 5*time.Minute, "overall time limit, including build and waiting for the emulator lock")
		env        envFlags
		eventPaths eventFlags
	)
	fs.Var(&eventPaths, "e", "event JSON `file`, - for stdin (repeatable, sent in order to one warm function; default {})")
	fs.Var(&env, "env", "`K=V` for the function's environment (repeatable; wins over everything)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*fn == "") == (*pkg == "") {
		fmt.Fprintln(stderr, "invoke: give exactly one of -fn or -pkg, and no arguments")
		fs.Usage()
		return 2
	}
	o := options{fn: *fn, target: *pkg, showLogs: *showLogs}
	if *fn != "" {
		if strings.ContainsAny(*fn, `/\`) {
			fmt.Fprintf(stderr, "invoke: -fn takes a name under ./functions, got %q\n", *fn)
			return 2
		}
		o.target = "./functions/" + *fn
	}

	events, err := readEvents(eventPaths, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var fnEnv []string
	if *inheritEnv {
		fnEnv = append(fnEnv, os.Environ()...)
	}
	if o.fn != "" {
		fnEnv = append(fnEnv, "AWS_LAMBDA_FUNCTION_NAME="+o.fn)
		world, defs, err := prepare(ctx, o.fn, *noSeed, givenEnv(*inheritEnv, env), env, events, stderr)
		if world != nil {
			defer world.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			return 1
		}
		fnEnv = append(fnEnv, defs...)
	}
	fnEnv = append(fnEnv, env...) // explicit -env wins

	if err := invoke(ctx, o, events, fnEnv, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}
	return 0
}

// prepare readies a -fn run. By default it seeds an embedded DynamoDB
// (infra/sample), returns the variables of the function that nobody gave,
// filled in from it, and rewrites the events' sample ids into the seeded
// ones. With -no-seed or a given DYNAMODB_ENDPOINT the user runs against
// their own store and ids: nothing is defaulted or rewritten, and prepare
// only names what the function reads that is missing.
func prepare(ctx context.Context, name string, noSeed bool, g given, explicit []string, events []event, stderr io.Writer) (*sample.World, []string, error) {
	fn, known := functions[name]
	if !known {
		fmt.Fprintf(stderr, "invoke: functions/%s is not in invoke's list (scripts/invoke/env.go); assuming it reads the store only\n", name)
		fn = function{settings: storeSettings}
	}
	why := ""
	switch {
	case noSeed:
		why = "-no-seed"
	case g.has("DYNAMODB_ENDPOINT", explicit):
		why = "DYNAMODB_ENDPOINT is given"
	}
	if why != "" {
		fmt.Fprintf(stderr, "invoke: %s: no embedded store, nothing defaulted, the event is sent as is\n", why)
		if m := missing(fn, g, explicit); len(m) > 0 {
			fmt.Fprintf(stderr, "invoke: %s reads, and nobody gave: %s\n", name, strings.Join(m, ", "))
		}
		return nil, nil, nil
	}

	w, err := sample.Start(ctx, sample.Options{Clock: domain.SystemClock,
		EventsTable: g["EVENTS_TABLE"], ViewsTable: g["VIEWS_TABLE"], KeysDir: g["TOKEN_KEYS_DIR"],
		Issuer: g["TOKEN_ISSUER"], Audience: g["TOKEN_AUDIENCE"]})
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "invoke: seeded an embedded DynamoDB at %s (-no-seed to skip); the sample ids become:\n", w.Config.Endpoint)
	ids := w.IDs()
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		fmt.Fprintf(stderr, "invoke:   %-15s %s\n", k, ids[k])
	}
	vars := w.Vars()
	// API Gateway has no local stand-in: the projector is pointed where
	// nothing listens, so an out-of-the-box run never reaches AWS and
	// answers with its record reported as failed.
	vars[apiGatewayEndpoint.name] = refusedEndpoint
	defs, err := defaults(fn, g, explicit, vars)
	if err != nil {
		return w, nil, err
	}
	printDefaults(stderr, name, defs)
	for i := range events {
		if events[i].payload, err = w.Fill(ctx, events[i].payload); err != nil {
			return w, nil, fmt.Errorf("%s: %w", events[i].name, err)
		}
	}
	return w, defs, nil
}

func readEvents(paths []string, stdin io.Reader) ([]event, error) {
	if len(paths) == 0 {
		return []event{{name: "{}", payload: []byte("{}")}}, nil
	}
	out := make([]event, 0, len(paths))
	for _, p := range paths {
		b, err := readEvent(p, stdin)
		if err != nil {
			return nil, err
		}
		out = append(out, event{name: p, payload: b})
	}
	return out, nil
}

func readEvent(path string, stdin io.Reader) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("event %s is not valid JSON", path)
	}
	return b, nil
}

func invoke(ctx context.Context, o options, events []event, env []string, stdout, stderr io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bootstrap, err := rie.Build(ctx, o.target, dir)
	if err != nil {
		return err
	}
	em, err := rie.Start(ctx, bootstrap, env)
	if err != nil {
		return err
	}
	defer func() {
		if o.showLogs {
			fmt.Fprint(stderr, em.Output())
		}
		err = errors.Join(err, em.Close())
	}()

	var failed []string
	for i, ev := range events {
		if len(events) > 1 {
			fmt.Fprintf(stderr, "invoke: event %s\n", ev.name)
		}
		body, err := em.Invoke(ctx, ev.payload)
		if err != nil {
			// Stop the emulator before reading its output: once it has
			// exited, every line it and the function wrote (the function's
			// own error, the emulator's "Init failed") is in, however
			// loaded the machine is. Close is idempotent.
			_ = em.Close()
			return invokeFailure(err, em.Output())
		}
		stdout.Write(body)
		if !bytes.HasSuffix(body, []byte("\n")) {
			fmt.Fprintln(stdout)
		}
		if i == 0 {
			ms, err := em.InitDurationMs()
			if err != nil {
				return err
			}
			fmt.Fprintf(stderr, "INIT REPORT durationMs: %.2f\n", ms)
		}
		msg, isErr := errorDocument(body)
		switch {
		case !isErr:
		case msg == "Unauthorized" && functions[o.fn].authorizer:
			fmt.Fprintf(stderr, "invoke: %s: the authorizer refused (API Gateway answers 401 Unauthorized)\n", ev.name)
		default:
			failed = append(failed, ev.name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("the handler returned an error for %s", strings.Join(failed, ", "))
	}
	return nil
}

// errorDocument reports whether body is the document the runtime sends
// when the handler fails, an object with errorMessage and errorType, and
// returns its message.
func errorDocument(body []byte) (string, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return "", false
	}
	rawMsg, msg := doc["errorMessage"]
	_, typ := doc["errorType"]
	var s string
	_ = json.Unmarshal(rawMsg, &s)
	return s, msg && typ
}
