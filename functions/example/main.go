package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/keystorm/keystorm/infra/example"
	"github.com/keystorm/keystorm/infra/runtime"
)

func main() {
	runtime.SetupLogging()
	lambda.Start(httpadapter.New(example.Handler()).ProxyWithContext)
}
