// Package metrics writes CloudWatch metrics in the Embedded Metric Format
// (EMF): one JSON object per line, which CloudWatch Logs turns into metrics
// when a Lambda function prints it to stdout.
//
// Why EMF: a Lambda function's stdout already goes to CloudWatch Logs, so
// a metric costs one log line, no API call, no extra permission and no
// latency on the request path (PutMetricData would add all three). The
// same lines are plain JSON logs everywhere else (the local server), and
// harmless there.
//
// Dimensions are the metric's identity in CloudWatch, and every distinct
// value makes a new metric (billed, and listed forever). So dimension
// values must come from a small fixed set chosen by the code, such as a
// function name or a refusal reason constant — never request bytes, key
// ids, tenant ids or error messages. The Emitter enforces the shape of
// that rule (short, printable ASCII) and replaces values that break it,
// so a caller's mistake cannot write arbitrary input into the logs or
// explode the number of metrics.
package metrics
