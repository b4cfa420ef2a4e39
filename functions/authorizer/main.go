package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/tokens"
)

func main() {
	runtime.SetupLogging()
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		runtime.Fatal("authorizer: bad configuration", err)
	}
	if cfg.TokenJWKSFile != "" {
		// Read on the first Bearer request, not at init, and reread every
		// tokens.DefaultJWKSTTL or on an unknown kid (at most once a
		// minute), so a rotated key is picked up without a redeploy.
		path := cfg.TokenJWKSFile
		keys := tokens.NewJWKSSource(func(context.Context) ([]byte, error) { return os.ReadFile(path) })
		cfg.Verifier = tokens.NewVerifier(keys, cfg.TokenIssuer, cfg.TokenAudience)
	}
	// The Handler takes the raw event and answers every API Gateway
	// flavour (see authorizer.Handler.Invoke).
	lambda.Start(authorizer.New(runtime.Store(), nil, cfg))
}
