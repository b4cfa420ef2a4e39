package runtime

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rotation"
	"github.com/keystorm/keystorm/infra/tokens"
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

// Store connects to the tables named in the environment. It makes no
// network call: credentials and the endpoint resolve on first use, so init
// stays fast.
func Store() *dynamo.Store {
	cfg := dynamo.ConfigFromEnv()
	db, err := dynamo.NewClient(context.Background(), cfg, nil)
	if err != nil {
		Fatal("dynamodb client", err)
	}
	return dynamo.New(db, cfg)
}

// TokenKeys opens the access-token signing keys where the environment
// says (rotation.KeySourceFromEnv): the Secrets Manager secret
// $TOKEN_KEYS_SECRET as deployed, cached for cacheFor; or, for local runs
// and tests only (scripts/invoke), the key file directory $TOKEN_KEYS_DIR
// (tokens.FileStore), which template.yaml never sets. Neither or both is
// fatal, with a message naming both. It makes no network call: the secret
// is read on first use, so init stays fast.
func TokenKeys(clock domain.Clock, cacheFor time.Duration) tokens.KeyStore {
	dir, secret, err := rotation.KeySourceFromEnv()
	if err != nil {
		Fatal("signing keys: configuration", err)
	}
	if dir != "" {
		return tokens.NewFileStore(dir, clock)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		Fatal("aws config", err)
	}
	return tokens.NewSecretsManagerStore(secretsmanager.NewFromConfig(awsCfg), secret, cacheFor, clock)
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
	return httpapi.Proxy(h, base)
}

// ServeManagement runs one management resource family as a Lambda
// function behind API Gateway.
func ServeManagement(family string) {
	SetupLogging()
	api := httpapi.API{Svc: domain.NewService(Store())}
	h := api.Handler(family)
	if h == nil {
		Fatal("unknown resource family "+family, nil)
	}
	lambda.Start(Proxy(h))
}
