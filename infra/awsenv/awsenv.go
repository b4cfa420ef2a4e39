package awsenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/smithy-go/logging"
)

// ErrNoCredentials is returned when the environment names no credentials:
// a function that cannot sign a request should fail its init visibly, not
// on its first request.
var ErrNoCredentials = errors.New("awsenv: no AWS credentials in the environment " +
	"(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_CONTAINER_CREDENTIALS_FULL_URI)")

// Load is Config with the environment's Credentials.
func Load() (aws.Config, error) {
	creds, err := Credentials()
	if err != nil {
		return aws.Config{}, err
	}
	return Config(creds), nil
}

// Config returns an aws.Config with the region of AWS_REGION (or
// AWS_DEFAULT_REGION, as the SDK reads them) and the given credentials.
// The HTTP client, retryer and endpoint resolver are left to each service
// client's defaults, which are what the SDK's config package would give
// it too. SDK warnings go through slog, so they are JSON lines like every
// other log line of a function.
func Config(creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:      firstEnv("AWS_REGION", "AWS_DEFAULT_REGION"),
		Credentials: creds,
		Logger:      logging.LoggerFunc(logSDK),
	}
}

func logSDK(c logging.Classification, format string, v ...any) {
	level := slog.LevelWarn
	if c == logging.Debug {
		level = slog.LevelDebug
	}
	slog.Log(context.Background(), level, fmt.Sprintf(format, v...), "source", "aws-sdk")
}

// Credentials returns the credentials of the environment, in the order the
// SDK's default chain tries them: access keys first (AWS_ACCESS_KEY_ID or
// AWS_ACCESS_KEY, AWS_SECRET_ACCESS_KEY or AWS_SECRET_KEY, with
// AWS_SESSION_TOKEN and AWS_ACCOUNT_ID), then the container endpoint
// AWS_CONTAINER_CREDENTIALS_FULL_URI. It makes no network call: endpoint
// credentials are fetched on first use and refreshed five minutes before
// they expire, as the SDK's chain does.
func Credentials() (aws.CredentialsProvider, error) {
	id := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secret := firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id != "" && secret != "" {
		// What the chain's environment step builds: static, because
		// Lambda's keys do not change within an execution environment.
		return aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: aws.Credentials{
			AccessKeyID:     id,
			SecretAccessKey: secret,
			SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
			AccountID:       os.Getenv("AWS_ACCOUNT_ID"),
			Source:          "EnvConfigCredentials",
		}}), nil
	}
	if u := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"); u != "" {
		if err := checkContainerURI(u); err != nil {
			return nil, err
		}
		p := endpointcreds.New(u, func(o *endpointcreds.Options) {
			o.AuthorizationToken = os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
			if file := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
				// Reread on every fetch, as the SDK does: the file is
				// rotated under the process.
				o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
					b, err := os.ReadFile(file)
					if err != nil {
						return "", fmt.Errorf("awsenv: read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
					}
					return string(b), nil
				})
			}
		})
		return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 5 * time.Minute }), nil
	}
	return nil, ErrNoCredentials
}

// checkContainerURI allows what the SDK allows: any https URL, and plain
// http only to this machine or the ECS and EKS credential addresses, so a
// misconfigured variable cannot send the token in clear to a stranger.
// Unlike the SDK it does not resolve host names (no DNS lookup at init):
// a plain-http name other than localhost is refused.
func checkContainerURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("awsenv: AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return nil
		}
		if ip := net.ParseIP(h); ip != nil && (ip.IsLoopback() ||
			ip.Equal(net.IPv4(169, 254, 170, 2)) || ip.Equal(net.IPv4(169, 254, 170, 23)) || ip.Equal(net.ParseIP("fd00:ec2::23"))) {
			return nil
		}
		return fmt.Errorf("awsenv: AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http only to loopback or the ECS/EKS credential address, not %q", h)
	default:
		return fmt.Errorf("awsenv: AWS_CONTAINER_CREDENTIALS_FULL_URI: scheme %q", u.Scheme)
	}
}

// Endpoint returns the endpoint the SDK's shared settings give one
// service, or "" for the service's own: AWS_ENDPOINT_URL_<SERVICE> (the
// service's id in upper case, spaces as underscores: DYNAMODB,
// SECRETS_MANAGER), else AWS_ENDPOINT_URL, and neither when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. Service clients built
// without the config package do not read these themselves.
func Endpoint(service string) string {
	if ignore, _ := strconv.ParseBool(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); ignore {
		return ""
	}
	return firstEnv("AWS_ENDPOINT_URL_"+strings.ToUpper(strings.ReplaceAll(service, " ", "_")), "AWS_ENDPOINT_URL")
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
