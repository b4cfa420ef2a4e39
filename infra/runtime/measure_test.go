package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/metrics"
)

// Each request emits one EMF line: its latency, one request, and an
// error when it answered 5xx or failed.
func TestMeasuredEmitsLatencyAndErrors(t *testing.T) {
	var out bytes.Buffer
	em := &metrics.Emitter{Out: &out, Namespace: MetricsNamespace, Clock: domain.ClockFunc(func() time.Time { return time.Unix(1795773600, 0) })}
	status := 200
	var fail error
	h := Measured("keystorm-apikeys", em, func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: status}, fail
	})
	for _, c := range []struct {
		status int
		err    error
		errors float64
	}{{200, nil, 0}, {404, nil, 0}, {503, nil, 1}, {0, errors.New("boom"), 1}} {
		out.Reset()
		status, fail = c.status, c.err
		_, _ = h(context.Background(), events.APIGatewayProxyRequest{Path: "/v1/apiKeys/secret-looking-path"})
		var line map[string]any
		if err := json.Unmarshal(out.Bytes(), &line); err != nil {
			t.Fatalf("%q: %v", out.String(), err)
		}
		if line["Function"] != "keystorm-apikeys" || line["Errors"] != c.errors || line["Requests"] != 1.0 || line["Latency"] == nil {
			t.Fatalf("status %d: %v", c.status, line)
		}
		if bytes.Contains(out.Bytes(), []byte("secret-looking-path")) {
			t.Fatal("request bytes reached the metrics")
		}
		aws := line["_aws"].(map[string]any)
		if aws["Timestamp"] != 1795773600000.0 {
			t.Fatalf("timestamp %v", aws["Timestamp"])
		}
	}
}
