package mailer

import (
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/awsenv"
	"github.com/keystorm/keystorm/infra/mail/ses"
	"github.com/keystorm/keystorm/infra/runtime"
)

// Setup gives svc the SES mailer when MAIL_FROM is set. Without it the
// service has no mailer: requests that must mail answer 503 (code 8503)
// and write nothing, and a warning at init says why. It makes no network
// call; credentials the environment lacks are fatal (runtime.Fatal).
func Setup(svc *domain.Service) {
	from := os.Getenv("MAIL_FROM")
	if from == "" {
		slog.Warn("MAIL_FROM is not set (template parameter MailFromAddress): password reset and verification mails are off")
		return
	}
	cfg, err := awsenv.Load()
	if err != nil {
		runtime.Fatal("ses client", err)
	}
	var opts []func(*sesv2.Options)
	if e := awsenv.Endpoint("SESv2"); e != "" {
		opts = append(opts, func(o *sesv2.Options) { o.BaseEndpoint = aws.String(e) })
	}
	m, err := ses.New(cfg, from, os.Getenv("MAIL_CONFIGURATION_SET"), opts...)
	if err != nil {
		runtime.Fatal("ses mailer", err)
	}
	svc.Mailer = m
}
