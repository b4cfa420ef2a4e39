package template_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	keystormevents "github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
	"github.com/keystorm/keystorm/infra/template"
)

// The sample events under functions/<name>/testdata/ are what
// `sam local invoke -e` and the function tests feed to the handlers. This
// test keeps them honest: each decodes strictly into the event type API
// Gateway sends to that function, and each names a route that exists in
// template.yaml, served by that very function.

func sampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "functions", "*", "testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no sample events under functions/*/testdata")
	}
	return files
}

func decodeStrict(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if dec.More() {
		t.Fatal("trailing data after the event")
	}
}

func TestSampleEvents(t *testing.T) {
	tpl := loadReal(t)
	seen := map[string]bool{}
	for _, file := range sampleFiles(t) {
		folder := filepath.Base(filepath.Dir(filepath.Dir(file)))
		seen[folder] = true
		t.Run(folder+"/"+filepath.Base(file), func(t *testing.T) {
			switch folder {
			case "authorizer":
				checkAuthorizerSample(t, tpl, file)
				return
			case "rotate", "sweep":
				checkScheduledSample(t, tpl, folder, file)
				return
			case "projector":
				checkStreamSample(t, file)
				return
			}
			checkProxySample(t, tpl, folder, file)
		})
	}
	for _, folder := range []string{"authorizer", "tenants", "applications", "accounts", "groups", "apikeys", "example", "oauth", "rotate", "sweep", "projector"} {
		if !seen[folder] {
			t.Errorf("functions/%s/testdata has no sample event", folder)
		}
	}
}

func checkProxySample(t *testing.T, tpl *template.Template, folder, file string) {
	var ev events.APIGatewayProxyRequest
	decodeStrict(t, file, &ev)

	r, params, ok := template.Match(tpl.Routes, ev.HTTPMethod, ev.Path)
	if !ok {
		t.Fatalf("%s %s matches no route of template.yaml", ev.HTTPMethod, ev.Path)
	}
	if r.Function != folder {
		t.Errorf("%s %s is served by %s, not %s", ev.HTTPMethod, ev.Path, r.Function, folder)
	}
	if r.Path != ev.Resource {
		t.Errorf("resource %q, but the path matches %q", ev.Resource, r.Path)
	}
	if !maps.Equal(params, ev.PathParameters) {
		t.Errorf("pathParameters %v, want %v", ev.PathParameters, params)
	}

	api := tpl.APIs[r.API]
	rc := ev.RequestContext
	if rc.ResourcePath != ev.Resource || rc.HTTPMethod != ev.HTTPMethod {
		t.Errorf("requestContext says %s %s, event says %s %s", rc.HTTPMethod, rc.ResourcePath, ev.HTTPMethod, ev.Resource)
	}
	if rc.Stage != api.StageName || rc.Path != "/"+api.StageName+ev.Path {
		t.Errorf("requestContext stage %q path %q, want stage %q", rc.Stage, rc.Path, api.StageName)
	}
	if want := rc.APIID + ".execute-api.us-east-1.amazonaws.com"; ev.Headers["Host"] != want || rc.DomainName != want {
		t.Errorf("Host %q, domainName %q, want %q", ev.Headers["Host"], rc.DomainName, want)
	}
	if got := ev.StageVariables["keystormApi"]; got != api.Variables["keystormApi"] {
		t.Errorf("stage variable keystormApi %q, want %q", got, api.Variables["keystormApi"])
	}
	checkHeaders(t, ev.Headers, ev.MultiValueHeaders)
	checkHeaders(t, ev.QueryStringParameters, ev.MultiValueQueryStringParameters)

	// Routes behind the authorizer carry its context.
	if !r.Public {
		for _, k := range []string{"principalId", "accountHref", "accountId", "apiKeyId", "tenantId", "applicationId", "authType", "admin"} {
			if v, ok := rc.Authorizer[k].(string); !ok || v == "" {
				t.Errorf("requestContext.authorizer.%s missing or not a string", k)
			}
		}
		wantAdmin := "true"
		if api.Variables["keystormApi"] != "management" {
			wantAdmin = "false" // the example API is called with a developer key
		}
		if rc.Authorizer["admin"] != wantAdmin {
			t.Errorf("authorizer admin = %v, want %s", rc.Authorizer["admin"], wantAdmin)
		}
	}
	// Bodies are JSON, except the OAuth endpoints' form-encoded ones.
	if ct := ev.Headers["Content-Type"]; ct == "application/x-www-form-urlencoded" {
		if _, err := url.ParseQuery(ev.Body); err != nil || ev.Body == "" {
			t.Errorf("body is not form encoded (%v): %s", err, ev.Body)
		}
	} else if ev.Body != "" && !json.Valid([]byte(ev.Body)) {
		t.Errorf("body is not JSON: %s", ev.Body)
	}
}

func checkAuthorizerSample(t *testing.T, tpl *template.Template, file string) {
	// The authorizer answers every flavour; REST REQUEST samples are
	// checked against the template in depth, the others for their shape.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var probe struct {
		Version string `json:"version"`
		Type    string `json:"type"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.Version == "2.0":
		var ev events.APIGatewayV2CustomAuthorizerV2Request
		decodeStrict(t, file, &ev)
		if ev.Type != "REQUEST" || ev.RouteArn == "" || len(ev.IdentitySource) == 0 {
			t.Errorf("HTTP API sample lacks type, routeArn or identitySource: %+v", ev)
		}
		return
	case probe.Type == "TOKEN":
		var ev events.APIGatewayCustomAuthorizerRequest
		decodeStrict(t, file, &ev)
		if ev.AuthorizationToken == "" || !strings.HasPrefix(ev.MethodArn, "arn:aws:execute-api:") {
			t.Errorf("TOKEN sample lacks authorizationToken or methodArn: %+v", ev)
		}
		return
	}
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	decodeStrict(t, file, &ev)
	if ev.Type != "REQUEST" {
		t.Errorf("type %q, want REQUEST", ev.Type)
	}
	r, params, ok := template.Match(tpl.Routes, ev.HTTPMethod, ev.Path)
	if !ok {
		t.Fatalf("%s %s matches no route of template.yaml", ev.HTTPMethod, ev.Path)
	}
	if r.Path != ev.Resource || r.Public {
		t.Errorf("resource %q matches %s (public %v)", ev.Resource, r, r.Public)
	}
	if a := tpl.APIs[r.API].Authorizers[r.Authorizer]; a.Function != "authorizer" {
		t.Errorf("%s is not guarded by the authorizer function", r)
	}
	if len(params) > 0 && !maps.Equal(params, ev.PathParameters) {
		t.Errorf("pathParameters %v, want %v", ev.PathParameters, params)
	}

	rc := ev.RequestContext
	api := tpl.APIs[r.API]
	// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}
	wantSuffix := ":" + rc.AccountID + ":" + rc.APIID + "/" + api.StageName + "/" + ev.HTTPMethod + ev.Path
	if !strings.HasPrefix(ev.MethodArn, "arn:aws:execute-api:") || !strings.HasSuffix(ev.MethodArn, wantSuffix) {
		t.Errorf("methodArn %q does not end in %q", ev.MethodArn, wantSuffix)
	}
	if rc.ResourcePath != ev.Resource || rc.HTTPMethod != ev.HTTPMethod || rc.Stage != api.StageName || rc.Path != "/"+api.StageName+ev.Path {
		t.Errorf("requestContext %+v does not agree with the event", rc)
	}
	if want := rc.APIID + ".execute-api.us-east-1.amazonaws.com"; ev.Headers["Host"] != want {
		t.Errorf("Host %q, want %q", ev.Headers["Host"], want)
	}
	if got := ev.StageVariables["keystormApi"]; got != api.Variables["keystormApi"] {
		t.Errorf("stage variable keystormApi %q, want %q", got, api.Variables["keystormApi"])
	}
	checkHeaders(t, ev.Headers, ev.MultiValueHeaders)
	checkHeaders(t, ev.QueryStringParameters, ev.MultiValueQueryStringParameters)

	auth, hasAuth := ev.Headers["Authorization"]
	if strings.Contains(filepath.Base(file), "missing-header") {
		if hasAuth {
			t.Errorf("%s carries an Authorization header", file)
		}
	} else if !strings.HasPrefix(auth, "Basic ") && !strings.HasPrefix(auth, "Bearer ") {
		t.Errorf("Authorization %q is neither Basic nor Bearer", auth)
	}
}

// checkHeaders checks that the single-value and multi-value maps agree, as
// API Gateway fills both from the same request.
func checkHeaders(t *testing.T, single map[string]string, multi map[string][]string) {
	t.Helper()
	if len(single) != len(multi) {
		t.Errorf("%d single values but %d multi values", len(single), len(multi))
	}
	for k, v := range single {
		if m := multi[k]; len(m) == 0 || m[len(m)-1] != v {
			t.Errorf("%s: single %q, multi %q", k, v, m)
		}
	}
}

// checkScheduledSample checks an EventBridge scheduled event, what the
// rotation function gets: no API route, a function of that folder in the
// template.
func checkScheduledSample(t *testing.T, tpl *template.Template, folder, file string) {
	var ev events.CloudWatchEvent
	decodeStrict(t, file, &ev)
	if ev.Version != "0" || ev.ID == "" || ev.DetailType != "Scheduled Event" || ev.Source != "aws.events" || ev.Time.IsZero() ||
		ev.Region != "us-east-1" || string(ev.Detail) != "{}" {
		t.Errorf("not an EventBridge scheduled event: %+v", ev)
	}
	if len(ev.Resources) != 1 || !strings.HasPrefix(ev.Resources[0], "arn:aws:events:us-east-1:"+ev.AccountID+":rule/") {
		t.Errorf("resources %v: want the schedule rule's ARN", ev.Resources)
	}
	found := false
	for _, fn := range tpl.Functions {
		found = found || fn.Folder == folder
	}
	if !found {
		t.Errorf("no function of folder %s in template.yaml", folder)
	}
	for _, r := range tpl.Routes {
		if r.Function == folder {
			t.Errorf("%s has an API route %s; a scheduled function has none", folder, r)
		}
	}
}

// checkStreamSample: a DynamoDB stream event as Lambda delivers it from
// the events table (template.yaml: StreamViewType NEW_IMAGE), each
// record an insert whose new image is an event item that decodes.
func checkStreamSample(t *testing.T, file string) {
	var ev events.DynamoDBEvent
	decodeStrict(t, file, &ev)
	if len(ev.Records) == 0 {
		t.Fatal("no records")
	}
	for i, r := range ev.Records {
		if r.EventSource != "aws:dynamodb" || r.EventName != "INSERT" || r.Change.StreamViewType != "NEW_IMAGE" ||
			!strings.Contains(r.EventSourceArn, ":table/") || !strings.Contains(r.EventSourceArn, "EventsTable") ||
			!strings.Contains(r.EventSourceArn, "/stream/") || r.Change.SequenceNumber == "" {
			t.Errorf("record %d: %s %s %s %s", i, r.EventSource, r.EventName, r.Change.StreamViewType, r.EventSourceArn)
		}
		if r.Change.OldImage != nil {
			t.Errorf("record %d has an old image, which NEW_IMAGE never sends", i)
		}
		env, err := dynamo.EnvelopeFromImage(r.Change.NewImage)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if _, err := keystormevents.Decode(env); err != nil {
			t.Errorf("record %d: the event does not decode: %v", i, err)
		}
		for _, k := range []string{"stream", "version"} {
			if a, ok := r.Change.Keys[k]; !ok || !reflect.DeepEqual(a, r.Change.NewImage[k]) {
				t.Errorf("record %d: key %s differs from the image", i, k)
			}
		}
	}
}
