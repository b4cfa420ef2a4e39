package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/infra/authorizer"
	"github.com/keystorm/keystorm/infra/runtime"
)

func main() {
	runtime.SetupLogging()
	cfg, err := authorizer.ConfigFromEnv()
	if err != nil {
		runtime.Fatal("authorizer: bad configuration", err)
	}
	lambda.Start(authorizer.New(runtime.Store(), nil, cfg).HandleRequest)
}
