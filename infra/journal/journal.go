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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return s.f.Sync()
}

// Close closes the file.
func (s *Store) Close() error { return s.f.Close() }

// Load reads the journal, writes its events into the event table and
// rebuilds the read models. It returns the number of events loaded.
func Load(ctx context.Context, st *dynamo.Store, file string) (int, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var reqs []types.WriteRequest
	n := 0
	flush := func() error {
		if len(reqs) == 0 {
			return nil
		}
		pending := map[string][]types.WriteRequest{st.Events: reqs}
		for len(pending) > 0 {
			res, err := st.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = res.UnprocessedItems
		}
		reqs = reqs[:0]
		return nil
	}
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var env events.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			if !bytes.HasSuffix(sc.Bytes(), []byte("}")) {
				break // a torn last line: see trimTorn
			}
			return n, fmt.Errorf("journal %s: line %d: %w", file, n+1, err)
		}
		item, err := attributevalue.MarshalMap(dynamo.EventItem(env))
		if err != nil {
			return n, err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		n++
		if len(reqs) == 25 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	if _, err := st.Rebuild(ctx); err != nil {
		return n, err
	}
	return n, nil
}
