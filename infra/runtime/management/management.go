package management

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/runtime"
	"github.com/keystorm/keystorm/infra/runtime/store"
)

// Serve runs one management resource family (an httpapi family name) as
// a Lambda function behind API Gateway. An unknown family is fatal. Each
// setup adds to the service what only that family needs (the accounts
// function's mailer), so the others never link it.
func Serve(family string, setup ...func(*domain.Service)) {
	runtime.SetupLogging()
	st := store.FromEnv()
	api := httpapi.API{Svc: domain.NewService(st)}
	// lastUsedAt and the usage endpoint read what the authorizer counts.
	api.Svc.Usage = st
	// The audit log, key history and reads at a time read the log back.
	api.Svc.Log = st.EventLog()
	for _, f := range setup {
		f(api.Svc)
	}
	h := api.Handler(family)
	if h == nil {
		runtime.Fatal("unknown resource family "+family, nil)
	}
	lambda.Start(runtime.Proxy(h))
}
