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
	st := store.FromEnv()
	p := &projector.Projector{Projections: []domain.Projection{
		&domain.PlanSync{Store: st, Plans: plans},
		// The rest of a large cascade, as its delete's event arrives;
		// the scheduled sweep function remains for what still fails.
		&domain.SweepProjection{Service: domain.NewService(st)},
	}}
	lambda.Start(p.HandleStream)
}
