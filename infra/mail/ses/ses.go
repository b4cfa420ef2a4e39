package ses

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/keystorm/keystorm/domain"
)

// Mailer sends through SES v2.
type Mailer struct {
	Client *sesv2.Client
	// From is the sender, a verified SES identity ("Name <addr>" allowed).
	From string
	// ConfigurationSet, when set, names the SES configuration set (for
	// bounce and complaint events).
	ConfigurationSet string
	Log              *slog.Logger
}

// New builds a Mailer on cfg. It makes no network call.
func New(cfg aws.Config, from, configurationSet string, optFns ...func(*sesv2.Options)) (*Mailer, error) {
	if from == "" {
		return nil, errors.New("ses: no sender address (MAIL_FROM)")
	}
	return &Mailer{Client: sesv2.NewFromConfig(cfg, optFns...), From: from, ConfigurationSet: configurationSet, Log: slog.Default()}, nil
}

// Send implements domain.Mailer. The subject and body are never logged:
// they carry one-time tokens; the SES message id is.
func (m *Mailer) Send(ctx context.Context, msg domain.Message) error {
	if !msg.Valid() {
		return errors.New("ses: invalid message")
	}
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
		Destination:      &types.Destination{ToAddresses: []string{msg.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(msg.Subject), Charset: utf8},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(msg.Text), Charset: utf8}},
		}},
	}
	if m.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(m.ConfigurationSet)
	}
	out, err := m.Client.SendEmail(ctx, in)
	if err != nil {
		// The SDK's error names the operation and AWS's code, not the
		// message's content.
		return fmt.Errorf("ses: send: %w", err)
	}
	if m.Log != nil {
		m.Log.Info("mail sent", "sesMessageId", aws.ToString(out.MessageId))
	}
	return nil
}
