package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/runtime"
)

func main() {
	runtime.SetupLogging()
	lambda.Start(runtime.Proxy(example.Handler()))
}
