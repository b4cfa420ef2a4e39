package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/keystorm/keystorm/infra/rie"
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

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		fn         = fs.String("fn", "", "function `name`: builds ./functions/NAME")
		pkg        = fs.String("pkg", "", "main `package` to build instead of -fn, e.g. ./infra/rie/testdata/echo")
		eventPath  = fs.String("e", "", "event JSON `file`, - for stdin (default {})")
		inheritEnv = fs.Bool("inherit-env", false, "pass this process's environment to the function")
		showLogs   = fs.Bool("logs", false, "print the emulator and function output to stderr")
		timeout    = fs.Duration("timeout", 5*time.Minute, "overall time limit, including build and waiting for the emulator lock")
		env        envFlags
	)
	fs.Var(&env, "env", "`K=V` for the function's environment (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*fn == "") == (*pkg == "") {
		fmt.Fprintln(stderr, "invoke: give exactly one of -fn or -pkg, and no arguments")
		fs.Usage()
		return 2
	}

	var fnEnv []string
	if *inheritEnv {
		fnEnv = append(fnEnv, os.Environ()...)
	}
	target := *pkg
	if *fn != "" {
		if strings.ContainsAny(*fn, `/\`) {
			fmt.Fprintf(stderr, "invoke: -fn takes a name under ./functions, got %q\n", *fn)
			return 2
		}
		target = "./functions/" + *fn
		fnEnv = append(fnEnv, "AWS_LAMBDA_FUNCTION_NAME="+*fn)
	}
	fnEnv = append(fnEnv, env...) // explicit -env wins

	payload, err := readEvent(*eventPath, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := invoke(ctx, target, payload, fnEnv, *showLogs, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}
	return 0
}

func readEvent(path string, stdin io.Reader) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	switch path {
	case "":
		return []byte("{}"), nil
	case "-":
		b, err = io.ReadAll(stdin)
	default:
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

func invoke(ctx context.Context, target string, payload []byte, env []string, showLogs bool, stdout, stderr io.Writer) (err error) {
	dir, err := os.MkdirTemp("", "invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	bootstrap, err := rie.Build(ctx, target, dir)
	if err != nil {
		return err
	}
	em, err := rie.Start(ctx, bootstrap, env)
	if err != nil {
		return err
	}
	defer func() {
		if showLogs {
			fmt.Fprint(stderr, em.Output())
		}
		err = errors.Join(err, em.Close())
	}()

	body, err := em.Invoke(ctx, payload)
	if err != nil {
		return err
	}
	stdout.Write(body)
	if !bytes.HasSuffix(body, []byte("\n")) {
		fmt.Fprintln(stdout)
	}
	ms, err := em.InitDurationMs()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "INIT REPORT durationMs: %.2f\n", ms)
	if isErrorDocument(body) {
		return errors.New("the handler returned an error")
	}
	return nil
}

// isErrorDocument reports whether body is the document the runtime sends
// when the handler fails: an object with errorMessage and errorType.
func isErrorDocument(body []byte) bool {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil {
		return false
	}
	_, msg := doc["errorMessage"]
	_, typ := doc["errorType"]
	return msg && typ
}
