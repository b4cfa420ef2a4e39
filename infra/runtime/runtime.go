package runtime

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/keystorm/keystorm/infra/httpapi"
)

// Level reads LOG_LEVEL: debug, info, warn (or warning) or error; info when
// unset or unknown.
func Level(v string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// SetupLogging makes slog write JSON lines to stdout (CloudWatch) at
// LOG_LEVEL.
func SetupLogging() { setupLogging(os.Stdout, Level(os.Getenv("LOG_LEVEL"))) }

// setupLogging also routes the standard log package through the same JSON
// handler (slog.SetDefault does that), so what libraries print with
// log.Printf (the proxy library, aws-lambda-go's error reports) becomes a
// JSON-escaped message too, and can never start a line of its own.
func setupLogging(w io.Writer, level slog.Level) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// Fatal logs and exits: a function that cannot configure itself must fail
// its init visibly rather than serve.
func Fatal(msg string, err error) {
	slog.Error(msg, "err", err)
	os.Exit(1)
}

// Proxy wraps an HTTP handler for API Gateway proxy events
// (httpapi.Proxy): malformed paths answer 400 instead of reaching the
// proxy library, and hrefs start with KEYSTORM_BASE_URL when it is set
// (the PublicBaseUrl parameter), or else with the domain name and stage
// API Gateway sets. A malformed KEYSTORM_BASE_URL is fatal at init.
func Proxy(h http.Handler) httpapi.ProxyFunc {
	base := ""
	if v := os.Getenv("KEYSTORM_BASE_URL"); v != "" {
		var err error
		if base, err = httpapi.ParseBaseURL(v); err != nil {
			Fatal("KEYSTORM_BASE_URL", err)
		}
	}
	return Measured(functionName(), Emitter(), httpapi.Proxy(h, base))
}

// functionName is the Lambda's name for metric dimensions; "local" when
// not on Lambda.
func functionName() string {
	if n := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); n != "" {
		return n
	}
	return "local"
}
