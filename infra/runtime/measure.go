package runtime

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/metrics"
)

// MetricsNamespace is the CloudWatch namespace of Keystorm's own metrics
// (the template's alarms read them).
const MetricsNamespace = "Keystorm"

// Emitter writes CloudWatch EMF lines to stdout, which Lambda ships to
// CloudWatch Logs, where they become metrics: no API call, no latency.
func Emitter() *metrics.Emitter {
	return &metrics.Emitter{Out: os.Stdout, Namespace: MetricsNamespace, Clock: domain.SystemClock}
}

// Measured wraps a function's proxy handler to emit, per request, its
// latency and whether it answered a 5xx, under the dimension Function
// (the Lambda's name, a constant of the deployment: never request bytes).
func Measured(function string, em *metrics.Emitter, next httpapi.ProxyFunc) httpapi.ProxyFunc {
	dims := map[string]string{"Function": function}
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		start := time.Now() // a latency figure only: never compared with another time
		resp, err := next(ctx, ev)
		failed := 0.0
		if err != nil || resp.StatusCode >= 500 {
			failed = 1
		}
		_ = em.Emit(dims,
			metrics.Metric{Name: "Latency", Unit: metrics.UnitMilliseconds, Value: float64(time.Since(start).Microseconds()) / 1000},
			metrics.Metric{Name: "Requests", Unit: metrics.UnitCount, Value: 1},
			metrics.Metric{Name: "Errors", Unit: metrics.UnitCount, Value: failed})
		return resp, err
	}
}
