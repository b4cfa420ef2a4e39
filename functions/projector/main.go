package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/apigw"
	"github.com/keystorm/keystorm/infra/projector"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
)

func main() {
	runtime.SetupLogging()
	plans, err := apigw.FromEnv()
	if err != nil {
		runtime.Fatal("usage plans", err)
	}
	p := &projector.Projector{Projections: []domain.Projection{
		&domain.PlanSync{Store: store.FromEnv(), Plans: plans},
	}}
	lambda.Start(p.HandleStream)
}
