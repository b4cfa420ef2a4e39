package runtime

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/dynamo"
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
func SetupLogging() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: Level(os.Getenv("LOG_LEVEL"))})))
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

// ServeManagement runs one management resource family as a Lambda
// function behind API Gateway.
func ServeManagement(family string) {
	SetupLogging()
	api := httpapi.API{Svc: domain.NewService(Store())}
	h := api.Handler(family)
	if h == nil {
		Fatal("unknown resource family "+family, nil)
	}
	lambda.Start(httpadapter.New(h).ProxyWithContext)
}
