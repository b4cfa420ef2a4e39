package tokens

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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/keystorm/keystorm/domain"
)

// SecretsManagerClient is the part of *secretsmanager.Client the store
// uses.
type SecretsManagerClient interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// SecretsEnv names the environment variable holding the secret's id.
const SecretsEnv = "TOKEN_KEYS_SECRET"

// DefaultSecretCache is how long a SecretsManagerStore reuses a ring.
const DefaultSecretCache = 5 * time.Minute

// SecretsManagerStore keeps the Keyring in an AWS Secrets Manager secret
// (encrypted with KMS at rest, never in a table). Nothing is fetched
// until the first Load, so a cold start that never signs never reads the
// secret; the ring is then reused for the cache period, after which the
// next Load refetches it and so picks up a rotation.
//
// A secret whose value is empty, "{}" or has no keys loads as an empty
// ring: a template can provision it as {"keys":[]} and let the first
// RotateStore put a key in. An empty ring is never cached, so that window
// stays as short as one read. Neither the secret's value nor any key ever
// appears in an error or a log line from this package.
type SecretsManagerStore struct {
	client   SecretsManagerClient
	secretID string
	cacheFor time.Duration
	clock    domain.Clock

	mu       sync.Mutex
	ring     Keyring
	loadedAt time.Time
	have     bool
}

// NewSecretsManagerStore returns a store of secretID through client.
// cacheFor <= 0 means DefaultSecretCache; the clock (required) times the
// cache. It makes no call.
func NewSecretsManagerStore(client SecretsManagerClient, secretID string, cacheFor time.Duration, clock domain.Clock) *SecretsManagerStore {
	if cacheFor <= 0 {
		cacheFor = DefaultSecretCache
	}
	if clock == nil {
		panic("tokens: NewSecretsManagerStore needs a clock")
	}
	return &SecretsManagerStore{client: client, secretID: secretID, cacheFor: cacheFor, clock: clock}
}

// SecretsManagerStoreFromEnv is NewSecretsManagerStore with the secret id
// from $TOKEN_KEYS_SECRET.
func SecretsManagerStoreFromEnv(client SecretsManagerClient, cacheFor time.Duration, clock domain.Clock) (*SecretsManagerStore, error) {
	id := strings.TrimSpace(os.Getenv(SecretsEnv))
	if id == "" {
		return nil, errors.New("tokens: " + SecretsEnv + " is not set")
	}
	return NewSecretsManagerStore(client, id, cacheFor, clock), nil
}

// Load implements KeyStore.
func (s *SecretsManagerStore) Load(ctx context.Context) (Keyring, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if s.have && now.Before(s.loadedAt.Add(s.cacheFor)) {
		return s.ring, nil
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.secretID)})
	if err != nil {
		return Keyring{}, fmt.Errorf("tokens: read secret %s: %w", s.secretID, err)
	}
	if out.SecretString == nil {
		return Keyring{}, fmt.Errorf("tokens: secret %s has no string value", s.secretID)
	}
	var ring Keyring
	if v := strings.TrimSpace(*out.SecretString); v != "" {
		if err := json.Unmarshal([]byte(v), &ring); err != nil {
			// Keyring's errors never quote the input.
			return Keyring{}, fmt.Errorf("tokens: secret %s: %w", s.secretID, err)
		}
	}
	// An empty ring is not cached: it is about to get its first key, from
	// this process or another, and every caller should see that key as
	// soon as it is saved rather than create one more.
	s.ring, s.loadedAt, s.have = ring, now, len(ring.Keys) > 0
	return ring, nil
}

// Save implements KeyStore.
func (s *SecretsManagerStore) Save(ctx context.Context, ring Keyring) error {
	b, err := json.Marshal(ring)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.secretID), SecretString: aws.String(string(b))}); err != nil {
		return fmt.Errorf("tokens: write secret %s: %w", s.secretID, err)
	}
	s.ring, s.loadedAt, s.have = ring, s.clock.Now(), true
	return nil
}
