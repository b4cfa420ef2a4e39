package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/keystorm/keystorm/infra/awsenv"
)

// Config names the tables and, optionally, a non-AWS endpoint.
type Config struct {
	EventsTable string
	ViewsTable  string
	// Endpoint, when set, points the client at a DynamoDB-compatible server
	// (minidyn, DynamoDB Local) instead of AWS.
	Endpoint string
	Region   string
}

// ConfigFromEnv reads EVENTS_TABLE, VIEWS_TABLE, DYNAMODB_ENDPOINT and
// AWS_REGION, with local defaults for the table names.
func ConfigFromEnv() Config {
	c := Config{
		EventsTable: os.Getenv("EVENTS_TABLE"),
		ViewsTable:  os.Getenv("VIEWS_TABLE"),
		Endpoint:    os.Getenv("DYNAMODB_ENDPOINT"),
		Region:      os.Getenv("AWS_REGION"),
	}
	if c.EventsTable == "" {
		c.EventsTable = "keystorm-events"
	}
	if c.ViewsTable == "" {
		c.ViewsTable = "keystorm-views"
	}
	return c
}

// NewClient builds the DynamoDB client of a Lambda function, or of a
// local server or test against a loopback endpoint. It reads the AWS
// settings from the environment as Lambda sets them (infra/awsenv), not
// through the SDK's default chain: the chain's package (config, with the
// STS and SSO clients) is about 2.5 ms of package init on every cold
// start, and in Lambda it would end at the environment anyway. Operator
// tools that need profiles or SSO build their client with
// infra/awsdefault, which ends in NewClientFromConfig.
//
// It makes no network call, so Lambda init stays fast. Against a loopback
// Endpoint with no AWS_ACCESS_KEY_ID, static dummy credentials are used,
// as local servers do not check signatures. No region (AWS_REGION) and no
// Endpoint, or no credentials, is an error.
func NewClient(ctx context.Context, c Config, counter *Counter) (*dynamodb.Client, error) {
	var creds aws.CredentialsProvider
	if isLoopback(c.Endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		creds = credentials.NewStaticCredentialsProvider("local", "local", "")
	} else {
		var err error
		if creds, err = awsenv.Credentials(); err != nil {
			return nil, fmt.Errorf("aws config: %w", err)
		}
	}
	awsCfg := awsenv.Config(creds)
	switch {
	case c.Region != "":
		awsCfg.Region = c.Region
	case c.Endpoint != "":
		// A local server ignores the region, but the SDK needs one.
		awsCfg.Region = "us-east-1"
	case awsCfg.Region == "":
		return nil, errors.New("aws config: AWS_REGION is not set")
	}
	if e := awsenv.Endpoint("DynamoDB"); e != "" {
		// The shared setting the SDK's config package would have applied
		// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL); DYNAMODB_ENDPOINT
		// still wins, as before.
		awsCfg.BaseEndpoint = aws.String(e)
	}
	return NewClientFromConfig(awsCfg, c, counter), nil
}

// NewClientFromConfig builds a DynamoDB client from an aws.Config loaded
// elsewhere (infra/awsdefault's full chain), with c's Endpoint, if any,
// and counter, if not nil.
func NewClientFromConfig(awsCfg aws.Config, c Config, counter *Counter) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			// minidyn does not send DynamoDB's X-Amz-Crc32 header.
			o.DisableValidateResponseChecksum = true
		}
		if counter != nil {
			o.APIOptions = append(o.APIOptions, counter.register)
		}
	})
}

// isLoopback reports an endpoint on this machine (minidyn, DynamoDB
// Local), which does not check signatures. Any other endpoint gets real
// credentials.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Counter counts DynamoDB API calls by operation name. It backs the
// "DynamoDB calls per operation" figures and tests that assert a cache hit
// costs no call.
type Counter struct {
	mu sync.Mutex
	n  map[string]*atomic.Int64
}

func (c *Counter) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("keystormCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.add(middleware.GetOperationName(ctx))
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

func (c *Counter) add(op string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]*atomic.Int64{}
	}
	v, ok := c.n[op]
	if !ok {
		v = &atomic.Int64{}
		c.n[op] = v
	}
	c.mu.Unlock()
	v.Add(1)
}

// Snapshot returns the counts so far.
func (c *Counter) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		out[k] = v.Load()
	}
	return out
}

// Total returns the number of calls so far.
func (c *Counter) Total() int64 {
	var t int64
	for _, v := range c.Snapshot() {
		t += v
	}
	return t
}

// Reset zeroes the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.n = nil
	c.mu.Unlock()
}
