package runtime_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/infra/httpapi"
	"github.com/keystorm/keystorm/infra/rie"
)

// forgedLine is what an attacker would like to find in the logs.
const forgedLine = `{"level":"ERROR","msg":"FORGED"}`

// forgedValues are decoded path parameters, as API Gateway hands them
// on; each used to make the proxy library answer 502 and print the path
// raw to stdout, where the forged object became a log line of its own.
// (Invalid UTF-8 cannot travel in a JSON event: it arrives as U+FFFD.)
var forgedValues = []string{
	"x\n" + forgedLine + "\n", "x\r" + forgedLine, "x\r\n" + forgedLine, "x\u2028" + forgedLine, "x\u2029",
	"x\x1b[2K\r" + forgedLine, "x\x00", "x\x7f", "x\u0085", "x%0A" + forgedLine, "x%zz",
}

// emulatorLine matches the lines the emulator writes itself; everything
// else in its output is the function's.
var emulatorLine = regexp.MustCompile(`^((START|END|REPORT) RequestId: [0-9a-f-]+|\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2},\d{3} \[[A-Z]+\] \(rapid\) )`)

// TestForgedPathsUnderEmulator builds three functions as SAM ships them
// (the example API, the OAuth function and a management function, each
// wired through runtime.Proxy) and sends each, through the Lambda Runtime
// Interface Emulator, its sample event with a forged path parameter: every
// one answers 400 in the API's error format, and every line the function
// writes is one of its slog JSON records. No store is reachable: a
// refused request must not need one.
func TestForgedPathsUnderEmulator(t *testing.T) {
	store := []string{"DYNAMODB_ENDPOINT=http://127.0.0.1:1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "LOG_LEVEL=debug"}
	cases := []struct {
		function, sample, param string
		env                     []string
	}{
		{"example", "get-equipment.json", "id", nil},
		{"oauth", "application-token.json", "applicationId", append([]string{"TOKEN_ISSUER=urn:keystorm:test", "TOKEN_AUDIENCE=urn:keystorm:test:api",
			"TOKEN_KEYS_SECRET=keystorm-token-keys", "AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:1"}, store...)},
		{"accounts", "create.json", "applicationId", store},
	}
	for _, c := range cases {
		t.Run(c.function, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			bootstrap, err := rie.Build(ctx, "./functions/"+c.function, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join("..", "..", "functions", c.function, "testdata", c.sample))
			if err != nil {
				t.Fatal(err)
			}
			var sample events.APIGatewayProxyRequest
			if err := json.Unmarshal(b, &sample); err != nil {
				t.Fatal(err)
			}
			old := sample.PathParameters[c.param]
			if old == "" || !strings.Contains(sample.Path, "/"+old) {
				t.Fatalf("%s has no path parameter %s in its path %q", c.sample, c.param, sample.Path)
			}
			em, err := rie.Start(ctx, bootstrap, c.env)
			if err != nil {
				t.Fatal(err)
			}
			defer em.Close()
			for _, v := range forgedValues {
				ev := sample
				ev.PathParameters = map[string]string{}
				for k, p := range sample.PathParameters {
					ev.PathParameters[k] = p
				}
				ev.PathParameters[c.param] = v
				ev.Path = strings.Replace(sample.Path, "/"+old, "/"+v, 1)
				payload, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				out, err := em.Invoke(ctx, payload)
				if err != nil {
					t.Fatalf("%v\n%s", err, em.Output())
				}
				var resp events.APIGatewayProxyResponse
				var body httpapi.ErrorBody
				if json.Unmarshal(out, &resp) != nil || resp.StatusCode != 400 ||
					http.Header(resp.MultiValueHeaders).Get("Content-Type") != "application/json" ||
					json.Unmarshal([]byte(resp.Body), &body) != nil || body.Code != httpapi.CodeInvalidPath ||
					body.RequestID != sample.RequestContext.RequestID {
					t.Errorf("%s %q: %s", c.function, url.PathEscape(v), out)
				}
			}
			// The sample itself still gets through: the example needs no
			// store; the management function finds none and logs the
			// failure, a line the check below must see as JSON.
			wantStatus := map[string]int{"example": 200, "accounts": 503}[c.function]
			if wantStatus != 0 {
				out, err := em.Invoke(ctx, b)
				var resp events.APIGatewayProxyResponse
				if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != wantStatus {
					t.Fatalf("sample: %v %s", err, out)
				}
			}
			// Close flushes the function's output before it is read.
			if err := em.Close(); err != nil {
				t.Fatal(err)
			}
			n := checkFunctionOutput(t, em.Output())
			if c.function == "accounts" && n == 0 {
				t.Errorf("the store failure was not logged:\n%s", em.Output())
			}
		})
	}
}

// checkFunctionOutput: every line that is not the emulator's own is a
// slog JSON record (time, level, msg) or an EMF metric line, and none is
// a forged one. It
// returns how many records it saw.
func checkFunctionOutput(t *testing.T, output string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(output, "\n"), "\n") {
		if strings.Contains(line, `"msg":"FORGED"`) && !strings.Contains(line, `\"msg\":\"FORGED\"`) {
			t.Errorf("a forged log line: %q", line)
			continue
		}
		if emulatorLine.MatchString(line) {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err == nil && rec["_aws"] != nil {
			continue // an EMF metric line (Measured)
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["time"] == nil || rec["level"] == nil || rec["msg"] == nil {
			t.Errorf("not a slog JSON line: %q", line)
			continue
		}
		n++
	}
	return n
}
