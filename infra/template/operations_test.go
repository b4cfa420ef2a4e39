package template_test

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// rawTemplate is template.yaml as plain Go values, for checks of
// resources the Template type does not model (event source mappings,
// queues, alarms). A tagged scalar reads as its tag and value
// ("!Ref ExampleApi"), a tagged collection as a one-key map ("!If": [...]).
func rawTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	m, _ := plain(doc.Content[0]).(map[string]any)
	return m
}

func plain(n *yaml.Node) any {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		v = s
	default:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return n.Tag + " " + n.Value
		}
		return n.Value
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return map[string]any{n.Tag: v}
	}
	return v
}

// at walks maps by key and lists by index ("0").
func at(v any, path ...string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

func resource(t *testing.T, tpl map[string]any, id string) map[string]any {
	t.Helper()
	r, ok := at(tpl, "Resources", id).(map[string]any)
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	return r
}

// The projector consumes the event log's stream with partial batch
// responses, bisection, a retry bound and a dead-letter queue; without
// any one of them a poison record would block its shard for a day.
func TestProjectorEventSource(t *testing.T) {
	tpl := rawTemplate(t)
	fn := resource(t, tpl, "ProjectorFunction")
	events, _ := at(fn, "Properties", "Events").(map[string]any)
	if len(events) != 1 {
		t.Fatalf("ProjectorFunction has %d events, want the stream only", len(events))
	}
	for name, ev := range events {
		if str(at(ev, "Type")) != "DynamoDB" {
			t.Fatalf("event %s is %v", name, at(ev, "Type"))
		}
		p := at(ev, "Properties")
		want := map[string]string{
			"Stream":                                  "!GetAtt EventsTable.StreamArn",
			"StartingPosition":                        "TRIM_HORIZON",
			"BisectBatchOnFunctionError":              "true",
			"FunctionResponseTypes/0":                 "ReportBatchItemFailures",
			"DestinationConfig/OnFailure/Type":        "SQS",
			"DestinationConfig/OnFailure/Destination": "!GetAtt ProjectorDeadLetterQueue.Arn",
		}
		for path, w := range want {
			if got := str(at(p, strings.Split(path, "/")...)); got != w {
				t.Errorf("%s = %q, want %q", path, got, w)
			}
		}
		for _, k := range []string{"BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds"} {
			var n int
			if _, err := fmt.Sscan(str(at(p, k)), &n); err != nil || n <= 0 {
				t.Errorf("%s = %v, want a positive bound", k, at(p, k))
			}
		}
	}
	// The stream exists and carries the new image, which the projector decodes.
	if v := str(at(resource(t, tpl, "EventsTable"), "Properties", "StreamSpecification", "StreamViewType")); v != "NEW_IMAGE" {
		t.Errorf("events stream view %q", v)
	}
	q := resource(t, tpl, "ProjectorDeadLetterQueue")
	if str(at(q, "Type")) != "AWS::SQS::Queue" || str(at(q, "Properties", "SqsManagedSseEnabled")) != "true" ||
		str(at(q, "Properties", "MessageRetentionPeriod")) != "1209600" {
		t.Errorf("dead-letter queue %v", q)
	}
	outs, _ := at(tpl, "Outputs").(map[string]any)
	if str(at(outs, "ProjectorDeadLetterQueueUrl", "Value")) != "!Ref ProjectorDeadLetterQueue" ||
		str(at(outs, "ProjectorDeadLetterQueueArn", "Value")) != "!GetAtt ProjectorDeadLetterQueue.Arn" {
		t.Errorf("dead-letter queue outputs %v %v", outs["ProjectorDeadLetterQueueUrl"], outs["ProjectorDeadLetterQueueArn"])
	}
}

// Least privilege: the projector reads the views (no Scan, no write, no
// event log), manages usage plans and API keys and nothing else of API
// Gateway, and may send to its own dead-letter queue.
func TestProjectorPolicies(t *testing.T) {
	tpl := rawTemplate(t)
	fn := resource(t, tpl, "ProjectorFunction")
	if got := str(at(fn, "Properties", "Environment", "Variables", "USAGE_PLAN_STAGES")); got != "!Sub ${ExampleApi}:prod" {
		t.Errorf("USAGE_PLAN_STAGES = %q", got)
	}
	policies, _ := at(fn, "Properties", "Policies").([]any)
	if len(policies) != 2 {
		t.Fatalf("policies %v", policies)
	}
	// The sweep projection writes what a management function does, with
	// the very same policy (a YAML alias, so the two cannot drift).
	sweep, _ := at(resource(t, tpl, "SweepFunction"), "Properties", "Policies").([]any)
	if len(sweep) != 1 || !reflect.DeepEqual(policies[0], sweep[0]) {
		t.Errorf("the projector's table policy is not the management functions': %v", policies[0])
	}
	stmts, _ := at(policies[1], "Statement").([]any)
	bySid := map[string]map[string]any{}
	for _, s := range stmts {
		m := s.(map[string]any)
		if str(m["Effect"]) != "Allow" {
			t.Errorf("statement %v", m)
		}
		bySid[str(m["Sid"])] = m
	}
	list := func(v any) []string {
		var out []string
		switch c := v.(type) {
		case string:
			out = []string{c}
		case []any:
			for _, x := range c {
				out = append(out, str(x))
			}
		}
		return out
	}
	cases := map[string]struct{ actions, resources []string }{
		"ManageUsagePlansAndApiKeys": {[]string{"apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"},
			[]string{"!Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/usageplans", "!Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/usageplans/*",
				"!Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys", "!Sub arn:${AWS::Partition}:apigateway:${AWS::Region}::/apikeys/*"}},
		"DeadLetters": {[]string{"sqs:SendMessage"}, []string{"!GetAtt ProjectorDeadLetterQueue.Arn"}},
	}
	if len(bySid) != len(cases) {
		t.Errorf("statements %v", slices.Sorted(maps.Keys(bySid)))
	}
	for sid, c := range cases {
		s := bySid[sid]
		if !slices.Equal(list(s["Action"]), c.actions) || !slices.Equal(list(s["Resource"]), c.resources) {
			t.Errorf("%s: actions %v on %v", sid, s["Action"], s["Resource"])
		}
	}
}

// The example API meters requests by the authorizer's
// usageIdentifierKey, the value of the API keys the projector keeps.
func TestExampleApiKeySource(t *testing.T) {
	tpl := rawTemplate(t)
	if got := str(at(resource(t, tpl, "ExampleApi"), "Properties", "ApiKeySourceType")); got != "AUTHORIZER" {
		t.Errorf("ExampleApi ApiKeySourceType = %q", got)
	}
}

// Alarms: what they watch, and that each notifies AlarmTopicArn only
// when it is set.
func TestAlarms(t *testing.T) {
	tpl := rawTemplate(t)
	if str(at(tpl, "Conditions", "AlarmActionsOn", "!Not", "0", "!Equals", "0")) != "!Ref AlarmTopicArn" {
		t.Errorf("condition AlarmActionsOn %v", at(tpl, "Conditions", "AlarmActionsOn"))
	}
	want := map[string]struct{ namespace, metric, dimension string }{
		"AuthorizerErrorsAlarm":     {"AWS/Lambda", "Errors", "!Ref AuthorizerFunction"},
		"ManagementApi5xxAlarm":     {"AWS/ApiGateway", "5XXError", "!Sub ${AWS::StackName}-management"},
		"ProjectorDeadLetterAlarm":  {"AWS/SQS", "ApproximateNumberOfMessagesVisible", "!GetAtt ProjectorDeadLetterQueue.QueueName"},
		"ProjectorIteratorAgeAlarm": {"AWS/Lambda", "IteratorAge", "!Ref ProjectorFunction"},
		"FunctionThrottlesAlarm":    {},
	}
	res, _ := at(tpl, "Resources").(map[string]any)
	n := 0
	for id, r := range res {
		if str(at(r, "Type")) != "AWS::CloudWatch::Alarm" {
			continue
		}
		n++
		w, ok := want[id]
		if !ok {
			t.Errorf("alarm %s is not tested", id)
			continue
		}
		p := at(r, "Properties")
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if got := at(p, k, "!If"); str(at(got, "0")) != "AlarmActionsOn" || str(at(got, "1", "0")) != "!Ref AlarmTopicArn" || str(at(got, "2")) != "!Ref AWS::NoValue" {
				t.Errorf("%s %s = %v", id, k, at(p, k))
			}
		}
		if str(at(p, "ComparisonOperator")) != "GreaterThanThreshold" || str(at(p, "TreatMissingData")) != "notBreaching" {
			t.Errorf("%s: %v %v", id, at(p, "ComparisonOperator"), at(p, "TreatMissingData"))
		}
		if w.metric == "" {
			continue
		}
		if str(at(p, "Namespace")) != w.namespace || str(at(p, "MetricName")) != w.metric || str(at(p, "Dimensions", "0", "Value")) != w.dimension {
			t.Errorf("%s watches %v %v %v", id, at(p, "Namespace"), at(p, "MetricName"), at(p, "Dimensions"))
		}
	}
	if n != len(want) {
		t.Errorf("%d alarms, want %d", n, len(want))
	}
	// Throttles: every request-serving function and the projector, within
	// the 10 metrics an alarm on metric math may read.
	metrics, _ := at(res, "FunctionThrottlesAlarm", "Properties", "Metrics").([]any)
	var fns []string
	for _, m := range metrics {
		if at(m, "MetricStat") == nil {
			continue
		}
		if str(at(m, "MetricStat", "Metric", "MetricName")) != "Throttles" {
			t.Errorf("metric %v", m)
		}
		fns = append(fns, strings.TrimPrefix(str(at(m, "MetricStat", "Metric", "Dimensions", "0", "Value")), "!Ref "))
	}
	slices.Sort(fns)
	wantFns := []string{}
	for id := range wantFunctions {
		if id != "RotateFunction" && id != "SweepFunction" {
			wantFns = append(wantFns, id)
		}
	}
	slices.Sort(wantFns)
	if !slices.Equal(fns, wantFns) || len(fns) > 10 {
		t.Errorf("throttles of %v, want %v", fns, wantFns)
	}
}
