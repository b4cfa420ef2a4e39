package dynamo

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
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

// NewClient builds a DynamoDB client. It makes no network call, so Lambda
// init stays fast; credentials resolve on first use. With an Endpoint and
// no credentials in the environment, static dummy credentials are used, as
// local servers do not check signatures.
func NewClient(ctx context.Context, c Config, counter *Counter) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{}
	switch {
	case c.Region != "":
		opts = append(opts, config.WithRegion(c.Region))
	case c.Endpoint != "":
		// A local server ignores the region, but the SDK needs one.
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	// Against AWS with no AWS_REGION, the default chain decides (the
	// profile's region, or the Lambda environment's), so an operator's
	// tool never writes to a region they did not choose.
	if isLoopback(c.Endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			// minidyn does not send DynamoDB's X-Amz-Crc32 header.
			o.DisableValidateResponseChecksum = true
		}
		if counter != nil {
			o.APIOptions = append(o.APIOptions, counter.register)
		}
	}), nil
}

// isLoopback reports an endpoint on this machine (minidyn, DynamoDB
// Local), which does not check signatures. Any other endpoint gets the
// normal credential chain (environment, profile, SSO, role).
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
