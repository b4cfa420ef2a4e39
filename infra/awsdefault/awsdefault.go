package awsdefault

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keystorm/keystorm/infra/dynamo"
)

// NewDynamoClient builds a DynamoDB client for c through the default
// chain. It makes no network call; credentials resolve on first use.
//
// The region is c.Region (AWS_REGION) when set; else, against AWS, the
// chain decides (the profile's region), so a tool never writes to a region
// the operator did not choose; against an Endpoint, us-east-1, which a
// local server ignores but the SDK needs. A loopback Endpoint with no
// AWS_ACCESS_KEY_ID gets static dummy credentials, as local servers do
// not check signatures.
func NewDynamoClient(ctx context.Context, c dynamo.Config) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{}
	switch {
	case c.Region != "":
		opts = append(opts, config.WithRegion(c.Region))
	case c.Endpoint != "":
		opts = append(opts, config.WithRegion("us-east-1"))
	}
	if isLoopback(c.Endpoint) && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return dynamo.NewClientFromConfig(cfg, c, nil), nil
}

// isLoopback reports an endpoint on this machine (minidyn, DynamoDB
// Local).
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
