package metrics_test

import (
	"os"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/metrics"
)

// An authorizer counting a refusal by its reason: the dimension values are
// constants of the code, never request data.
func ExampleEmitter() {
	e := &metrics.Emitter{
		Out:       os.Stdout,
		Namespace: "Keystorm",
		Clock:     domain.ClockFunc(func() time.Time { return time.Date(2026, 4, 2, 12, 0, 0, 0, time.UTC) }),
	}
	_ = e.Emit(map[string]string{"Function": "authorizer", "Reason": "expired"},
		metrics.Metric{Name: "Refused", Unit: metrics.UnitCount, Value: 1})
	// Output:
	// {"Function":"authorizer","Reason":"expired","Refused":1,"_aws":{"Timestamp":1775131200000,"CloudWatchMetrics":[{"Namespace":"Keystorm","Dimensions":[["Function","Reason"]],"Metrics":[{"Name":"Refused","Unit":"Count"}]}]}}
}
