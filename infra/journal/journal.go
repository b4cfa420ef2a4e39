package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
)

// Store decorates a domain.Store: commits are also appended to the file.
type Store struct {
	domain.Store
	mu sync.Mutex
	f  *os.File
	// broken is set when a write failed after its commit: later events
	// would follow a gap in the file, so every later commit is refused.
	broken error
}

// Open opens (creating) the journal file for appending. A torn last line,
// left by a crash in the middle of a write, is cut off first: its commit
// was never acknowledged.
func Open(store domain.Store, file string) (*Store, error) {
	if err := trimTorn(file); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return &Store{Store: store, f: f}, nil
}

func trimTorn(file string) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) || len(data) == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	if data[len(data)-1] == '\n' {
		return nil
	}
	return os.Truncate(file, int64(bytes.LastIndexByte(data, '\n')+1))
}

// Commit implements domain.Store. The file is written only after the
// transaction succeeded, and synced before the caller hears of success.
func (s *Store) Commit(ctx context.Context, c domain.Commit) error {
	s.mu.Lock()
	broken := s.broken
	s.mu.Unlock()
	if broken != nil {
		return &domain.Error{Kind: domain.KindUnavailable, Code: domain.CodeStoreUnavailable, Message: domain.ErrUnavailable.Message, Err: broken}
	}
	if err := s.Store.Commit(ctx, c); err != nil {
		return err
	}
	var buf []byte
	for _, ch := range c.Changes {
		for _, env := range ch.Events {
			line, err := json.Marshal(env)
			if err != nil {
				return err
			}
			buf = append(append(buf, line...), '\n')
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.f.Write(buf)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		s.broken = fmt.Errorf("journal: %w", err)
		return s.broken
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.f.Close() }

// Load reads the journal, writes its events into the event table and
// rebuilds the read models. It returns the number of events loaded.
func Load(ctx context.Context, st *dynamo.Store, file string) (int, error) {
	envs, err := Read(file)
	if err != nil || len(envs) == 0 {
		return len(envs), err
	}
	reqs := make([]types.WriteRequest, 0, len(envs))
	for _, env := range envs {
		item, err := attributevalue.MarshalMap(dynamo.EventItem(env))
		if err != nil {
			return len(envs), err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := st.BatchWrite(ctx, st.Events, reqs); err != nil {
		return len(envs), err
	}
	if _, err := st.Rebuild(ctx); err != nil {
		return len(envs), err
	}
	return len(envs), nil
}

// Read returns the journal's events in file order; a missing file holds
// none. A torn last line (a crash in the middle of a write, whose commit
// was never acknowledged) is skipped; damage anywhere before it is an
// error. Shared by Load and by the SQLite store's one-time import of a
// journal, so both read the file the same way.
func Read(file string) ([]events.Envelope, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var envs []events.Envelope
	line := 0
	var torn error
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if torn != nil {
			// Only the last line may be torn; damage before it is
			// corruption, and replaying past it would lose events.
			return envs, torn
		}
		var env events.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			torn = fmt.Errorf("journal %s: line %d: %w", file, line, err)
			continue
		}
		envs = append(envs, env)
	}
	if err := sc.Err(); err != nil {
		return envs, err
	}
	return envs, nil
}
