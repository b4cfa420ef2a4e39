// Package rie runs a built Lambda function binary under the real AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie), locally and without Docker.
//
// # Why
//
// Unit tests call handlers as Go functions; they cannot show that the
// deployed artifact works. A function binary can still fail as a Lambda even
// when its handler is right: it panics during init, reads a missing
// variable, calls the network at start-up, or is built without the
// lambda.norpc tag and speaks the wrong protocol. Running the exact binary
// SAM would ship (Build) against the real Runtime API (Start, Invoke) catches
// those failures. It also gives the cold-start time (InitDurationMs) the way
// Lambda measures it. The emulator is the tool declared in go.mod, so
// the version is pinned and it needs nothing but the Go toolchain.
//
// # Usage
//
//	bootstrap, err := rie.Build(ctx, "./functions/apikeys", t.TempDir())
//	em, err := rie.Start(ctx, bootstrap, []string{"DYNAMODB_ENDPOINT=http://127.0.0.1:8000"})
//	defer em.Close()
//	out, err := em.Invoke(ctx, event)
//	ms, err := em.InitDurationMs()
//
// scripts/invoke wraps the same steps as a command.
//
// # One emulator at a time
//
// Start takes an exclusive flock(2) on LockPath (in os.TempDir) and holds it
// until Close. Emulators from parallel tests, and from the separate
// processes `go test ./...` runs for each package, therefore queue instead
// of colliding. A Start that waits longer than its context allows returns
// the context's error. The kernel drops the lock if its holder dies.
//
// In classic mode the emulator serves the function's Runtime API on
// 127.0.0.1:9001 by default, and its invoke endpoint on 0.0.0.0:8080. Both
// are fixed unless set, and a second emulator on the defaults dies at start
// with "bind: address already in use". At the version pinned in go.mod,
// classic mode accepts --runtime-api-address. Start therefore passes free
// loopback ports for both that flag and --runtime-interface-emulator-address.
// Emulators left running by something else on the defaults cannot get in
// the way. Together with the lock, the ports also cannot race between our
// own users. Strictly, free ports alone would allow parallel emulators; the
// lock is kept so that concurrent users queue predictably and never race
// for a port. Note that `aws-lambda-rie --help` prints no help: it starts an
// emulator on the default ports, with "--help" as the bootstrap.
//
// # Environment seen by the function
//
// The emulator passes its own entire environment on to the bootstrap as
// function variables, with nothing filtered out (underscore-prefixed names
// included). Start gives the emulator only PATH, AWS_REGION and
// AWS_DEFAULT_REGION (both us-east-1, as real Lambda always sets a region
// and the emulator does not), followed by the caller's env, so tests are
// hermetic. In particular the developer's AWS credentials do not leak in
// unless passed explicitly. Pass append(os.Environ(), ...) to inherit
// everything.
//
// On top of that the emulator sets, in the function's environment:
//
//   - AWS_LAMBDA_RUNTIME_API, and AWS_LAMBDA_METADATA_API, both set to the
//     Runtime API address, plus AWS_LAMBDA_METADATA_TOKEN, a random UUID.
//     These always override the caller's values.
//   - AWS_LAMBDA_FUNCTION_NAME=test_function, AWS_LAMBDA_FUNCTION_VERSION=$LATEST,
//     AWS_LAMBDA_FUNCTION_MEMORY_SIZE=3008, AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/Functions
//     and AWS_LAMBDA_LOG_STREAM_NAME=$LATEST. These are defaults that the
//     caller's env overrides.
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, copied
//     from the emulator's environment and set to "" when absent. The emulator
//     logs "Starting runtime without AWS_ACCESS_KEY_ID, ...".
//   - _X_AMZN_TRACE_ID, set to "". It stays empty even when the invoke
//     carries an X-Amzn-Trace-Id header.
//
// It does not set AWS_REGION, AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT or _HANDLER.
// The emulator itself also reads some of these variables:
// AWS_LAMBDA_FUNCTION_TIMEOUT (seconds, default 300) is the invoke
// timeout, and AWS_LAMBDA_FUNCTION_NAME goes into the function ARN
// (arn:aws:lambda:us-east-1:012345678912:function:NAME). Setting
// AWS_LAMBDA_MAX_CONCURRENCY would switch it to a different
// ("managed instances") mode, so Start refuses it.
//
// # Emulator behaviour worth knowing
//
// The emulator does not exec the bootstrap at start, only on the first
// invoke; Start is ready once the invoke port accepts connections. The
// bootstrap's working directory is its own directory, and it runs in a
// process group of its own. On SIGTERM the emulator SIGKILLs the runtime and
// exits; Close sends SIGTERM and escalates to SIGKILL.
//
// Output goes to two streams, which Output returns interleaved. Its log
// lines go to stderr, at the info level Start forces, for example:
//
//	26 Nov 2026 09:59:51,790 [INFO] (rapid) INIT REPORT(durationMs: 5.665000)
//
// This line is printed once, on the first invoke, and measures the time
// from the exec of the bootstrap to its first /next request. This is the
// number InitDurationMs returns. If init fails, a second INIT REPORT line
// follows for the retry during the invoke; only the first is used. The
// REPORT line's "Init Duration" does not measure cold start (it reads about
// 0.02 ms). The START/END/REPORT lines go to stdout, and so do the
// function's own stdout and stderr:
//
//	START RequestId: <uuid> Version: $LATEST
//	END RequestId: <uuid>
//	REPORT RequestId: <uuid>\tInit Duration: 0.02 ms\tDuration: 6.94 ms\tBilled Duration: 7 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\t
//
// The emulator answers HTTP 200 even when the handler returns an error. The
// body is then {"errorMessage":"...","errorType":"..."}, and no
// X-Amz-Function-Error header is set. If the bootstrap exits during init,
// the answer is a 502 with an empty body, which Invoke returns as an error.
//
// The package needs a Unix system (flock, process groups); on Linux the
// emulator is also killed if the process that started it dies.
package rie
