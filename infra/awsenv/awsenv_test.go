package awsenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// clearEnv unsets every variable this package reads, so the developer's
// own settings cannot leak into a case.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY",
		"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(k, "")
	}
}

// Lambda's own variables give what the SDK's chain gives there: the
// region, and the role's keys as they are.
func TestLoadFromLambdaVariables(t *testing.T) {
	clearEnv(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region %q", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIAEXAMPLE" || c.SecretAccessKey != "secret" || c.SessionToken != "session" || c.CanExpire {
		t.Errorf("credentials %+v", c)
	}
}

// The SDK's fallbacks: AWS_DEFAULT_REGION, and the older key names.
func TestLoadFallbackNames(t *testing.T) {
	clearEnv(t)
	t.Setenv("AWS_DEFAULT_REGION", "us-west-2")
	t.Setenv("AWS_ACCESS_KEY", "AKIDOLD")
	t.Setenv("AWS_SECRET_KEY", "old")
	cfg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || cfg.Region != "us-west-2" || c.AccessKeyID != "AKIDOLD" {
		t.Fatalf("region %q, credentials %+v, %v", cfg.Region, c, err)
	}
}

func TestNoCredentialsIsAnError(t *testing.T) {
	clearEnv(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "only-half")
	if _, err := Load(); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials", err)
	}
}

// Without keys, the container endpoint is asked on first use (not at
// Load), with the token from its file, reread on each fetch.
func TestContainerCredentials(t *testing.T) {
	clearEnv(t)
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"s","Token":"t","Expiration":"2100-01-01T00:00:00Z"}`))
	}))
	defer srv.Close()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("from-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/creds")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token)
	p, err := Credentials()
	if err != nil {
		t.Fatal(err)
	}
	if len(auth) != 0 {
		t.Fatal("credentials fetched before first use")
	}
	c, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != "ASIACONTAINER" || c.SessionToken != "t" || !c.CanExpire {
		t.Errorf("credentials %+v", c)
	}
	if len(auth) != 1 || auth[0] != "from-file" {
		t.Errorf("authorization headers %q", auth)
	}
}

// Plain http only to this machine or the container addresses, as the SDK
// allows: anything else would send the token in clear.
func TestContainerURIChecked(t *testing.T) {
	for uri, ok := range map[string]bool{
		"http://127.0.0.1:9001/2018-06-01/credentials": true,
		"http://localhost:9001/creds":                  true,
		"http://169.254.170.2/v2/credentials":          true,
		"http://169.254.170.23/v1/credentials":         true,
		"http://[fd00:ec2::23]/v1/credentials":         true,
		"https://creds.example.com/x":                  true,
		"http://creds.example.com/x":                   false,
		"http://10.0.0.1/creds":                        false,
		"ftp://127.0.0.1/creds":                        false,
		"not a url":                                    false,
	} {
		clearEnv(t)
		t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri)
		if _, err := Credentials(); (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", uri, err, ok)
		}
	}
}

func TestEndpoint(t *testing.T) {
	clearEnv(t)
	if e := Endpoint("DynamoDB"); e != "" {
		t.Errorf("unset: %q", e)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:2")
	if e := Endpoint("Secrets Manager"); e != "http://127.0.0.1:2" {
		t.Errorf("service-specific: %q", e)
	}
	if e := Endpoint("DynamoDB"); e != "http://127.0.0.1:1" {
		t.Errorf("global: %q", e)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if e := Endpoint("Secrets Manager"); e != "" {
		t.Errorf("ignored: %q", e)
	}
}

// The SDK's warnings become JSON log lines, never raw stderr.
func TestSDKLoggerIsSlog(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(old)
	Config(nil).Logger.Logf(logging.Warn, "retrying %s", "GetItem\nforged")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	if line["level"] != "WARN" || line["msg"] != "retrying GetItem\nforged" || line["source"] != "aws-sdk" {
		t.Errorf("line %v", line)
	}
}
