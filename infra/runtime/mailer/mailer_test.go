package mailer_test

import (
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/mail/ses"
	"github.com/keystorm/keystorm/infra/runtime/mailer"
)

// Without MAIL_FROM the service has no mailer (mail requests answer 503);
// with it, an SES mailer sending as that address, made without a call.
func TestSetup(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("MAIL_FROM", "")
	svc := &domain.Service{}
	mailer.Setup(svc)
	if svc.Mailer != nil {
		t.Fatalf("mailer %T without MAIL_FROM", svc.Mailer)
	}
	t.Setenv("MAIL_FROM", "no-reply@galacticempire.co")
	mailer.Setup(svc)
	m, ok := svc.Mailer.(*ses.Mailer)
	if !ok || m.From != "no-reply@galacticempire.co" {
		t.Fatalf("mailer %T %+v", svc.Mailer, svc.Mailer)
	}
}
