package secretsmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/awsenv"
	"github.com/keystorm/keystorm/infra/tokens"
)

// NewClient builds the Secrets Manager client of a Lambda function from
// the environment Lambda sets (infra/awsenv: region, credentials, and
// AWS_ENDPOINT_URL_SECRETS_MANAGER, which the tests point at a dead
// port), not through the SDK's default chain, whose package would add
// the STS and SSO clients' init to every cold start. It makes no network
// call.
func NewClient() (*sm.Client, error) {
	cfg, err := awsenv.Load()
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("secretsmanager: AWS_REGION is not set")
	}
	if e := awsenv.Endpoint("Secrets Manager"); e != "" {
		cfg.BaseEndpoint = aws.String(e)
	}
	return sm.NewFromConfig(cfg), nil
}

// Client is the part of the SDK's *secretsmanager.Client the store uses.
type Client interface {
	GetSecretValue(ctx context.Context, in *sm.GetSecretValueInput, opts ...func(*sm.Options)) (*sm.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *sm.PutSecretValueInput, opts ...func(*sm.Options)) (*sm.PutSecretValueOutput, error)
}

// Store keeps the tokens.Keyring in an AWS Secrets Manager secret
// (encrypted with KMS at rest, never in a table). Nothing is fetched
// until the first Load, so a cold start that never signs never reads the
// secret; the ring is then reused for the cache period, after which the
// next Load refetches it and so picks up a rotation.
//
// A secret whose value is empty, "{}" or has no keys loads as an empty
// ring: a template can provision it as {"keys":[]} and let the first
// tokens.RotateStore put a key in. An empty ring is never cached, so that window
// stays as short as one read. Neither the secret's value nor any key ever
// appears in an error or a log line from this package.
type Store struct {
	client   Client
	secretID string
	cacheFor time.Duration
	clock    domain.Clock

	mu       sync.Mutex
	ring     tokens.Keyring
	loadedAt time.Time
	have     bool
}

// NewStore returns a store of secretID through client. cacheFor <= 0
// means tokens.DefaultSecretCache; the clock (required) times the cache.
// It makes no call.
func NewStore(client Client, secretID string, cacheFor time.Duration, clock domain.Clock) *Store {
	if cacheFor <= 0 {
		cacheFor = tokens.DefaultSecretCache
	}
	if clock == nil {
		panic("secretsmanager: NewStore needs a clock")
	}
	return &Store{client: client, secretID: secretID, cacheFor: cacheFor, clock: clock}
}

// StoreFromEnv is NewStore with the secret id from $TOKEN_KEYS_SECRET
// (tokens.SecretsEnv).
func StoreFromEnv(client Client, cacheFor time.Duration, clock domain.Clock) (*Store, error) {
	id := strings.TrimSpace(os.Getenv(tokens.SecretsEnv))
	if id == "" {
		return nil, errors.New("secretsmanager: " + tokens.SecretsEnv + " is not set")
	}
	return NewStore(client, id, cacheFor, clock), nil
}

// Load implements tokens.KeyStore.
func (s *Store) Load(ctx context.Context) (tokens.Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if s.have && now.Before(s.loadedAt.Add(s.cacheFor)) {
		return s.ring, nil
	}
	out, err := s.client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(s.secretID)})
	if err != nil {
		return tokens.Keyring{}, fmt.Errorf("secretsmanager: read secret %s: %w", s.secretID, err)
	}
	if out.SecretString == nil {
		return tokens.Keyring{}, fmt.Errorf("secretsmanager: secret %s has no string value", s.secretID)
	}
	var ring tokens.Keyring
	if v := strings.TrimSpace(*out.SecretString); v != "" {
		if err := json.Unmarshal([]byte(v), &ring); err != nil {
			// Keyring's errors never quote the input.
			return tokens.Keyring{}, fmt.Errorf("secretsmanager: secret %s: %w", s.secretID, err)
		}
	}
	// An empty ring is not cached: it is about to get its first key, from
	// this process or another, and every caller should see that key as
	// soon as it is saved rather than create one more.
	s.ring, s.loadedAt, s.have = ring, now, len(ring.Keys) > 0
	return ring, nil
}

// Save implements tokens.KeyStore.
func (s *Store) Save(ctx context.Context, ring tokens.Keyring) error {
	b, err := json.Marshal(ring)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(s.secretID), SecretString: aws.String(string(b))}); err != nil {
		return fmt.Errorf("secretsmanager: write secret %s: %w", s.secretID, err)
	}
	s.ring, s.loadedAt, s.have = ring, s.clock.Now(), true
	return nil
}
