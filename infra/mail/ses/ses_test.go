package ses_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/mail/ses"
)

// sesServer answers SES v2's SendEmail as AWS does and keeps what the
// real SDK client sent.
func sesServer(t *testing.T, status int) (*httptest.Server, *[]map[string]any) {
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/v2/email/outbound-emails" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			t.Errorf("%s %s %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		got = append(got, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status == 200 {
			io.WriteString(w, `{"MessageId":"0100019-abc"}`)
		} else {
			w.Header().Set("x-amzn-ErrorType", "MessageRejected")
			io.WriteString(w, `{"message":"Email address is not verified."}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func mailer(t *testing.T, url string, logs io.Writer) *ses.Mailer {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	m, err := ses.New(cfg, "Keystorm <no-reply@example.com>", "keystorm", func(o *sesv2.Options) { o.BaseEndpoint = aws.String(url) })
	if err != nil {
		t.Fatal(err)
	}
	m.Log = slog.New(slog.NewJSONHandler(logs, nil))
	return m
}

// Send makes one SendEmail with the sender, the one recipient, a UTF-8
// subject and text body and the configuration set; the log has the SES
// message id and not the body.
func TestSendEmail(t *testing.T) {
	srv, got := sesServer(t, 200)
	var logs bytes.Buffer
	m := mailer(t, srv.URL, &logs)
	msg := domain.Message{To: "tk421@galacticempire.co", Subject: "Reset your password", Text: "https://x/reset#tok_123\n"}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 {
		t.Fatalf("%d calls", len(*got))
	}
	b, _ := json.Marshal((*got)[0])
	for _, want := range []string{`"FromEmailAddress":"Keystorm \u003cno-reply@example.com\u003e"`, `"ToAddresses":["tk421@galacticempire.co"]`,
		`"ConfigurationSetName":"keystorm"`, `"Data":"Reset your password"`, `"Data":"https://x/reset#tok_123\n"`, `"Charset":"UTF-8"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("request lacks %s: %s", want, b)
		}
	}
	if !strings.Contains(logs.String(), "0100019-abc") || strings.Contains(logs.String(), "tok_123") {
		t.Errorf("log %s", logs.String())
	}
}

// A refusal by SES is an error; an invalid message never reaches SES.
func TestSendEmailErrors(t *testing.T) {
	srv, got := sesServer(t, 400)
	m := mailer(t, srv.URL, io.Discard)
	if err := m.Send(context.Background(), domain.Message{To: "a@b.co", Subject: "s", Text: "t"}); err == nil || strings.Contains(err.Error(), "t\n") {
		t.Fatalf("err %v", err)
	}
	n := len(*got)
	if err := m.Send(context.Background(), domain.Message{To: "a@b.co\nBcc: c@d.co", Subject: "s", Text: "t"}); err == nil {
		t.Fatal("header injection accepted")
	}
	if len(*got) != n {
		t.Fatal("an invalid message reached SES")
	}
	if _, err := ses.New(aws.Config{}, "", ""); err == nil {
		t.Fatal("no sender accepted")
	}
}
