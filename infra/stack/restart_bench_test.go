package stack_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// restartKeys is how many API keys the restart benchmark's data holds.
const restartKeys = 3000

// BenchmarkRestart measures what a local restart with -data costs once
// the data holds a few thousand keys: opening DIR/keystorm.db on SQLite,
// replaying DIR/events.jsonl on -store dynamodb. ns/op is one start
// (and close). It is a benchmark, not a test, so no time is asserted:
//
//	go test -run '^$' -bench Restart -benchtime 5x ./infra/stack/
func BenchmarkRestart(b *testing.B) {
	for _, store := range []string{stack.StoreSQLite, stack.StoreDynamoDB} {
		b.Run(store, func(b *testing.B) {
			dir := b.TempDir()
			opts := stack.Options{Store: store, DataDir: dir, Hasher: cheapHasher, PublicURL: "http://127.0.0.1:3000"}
			fill(b, opts)
			for b.Loop() {
				s, err := stack.Start(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				if s.Boot != nil || s.Imported != 0 {
					b.Fatal("the restart bootstrapped or imported")
				}
				s.Close()
			}
		})
	}
}

// fill gives a first start restartKeys API keys, spread over accounts of
// ten keys each.
func fill(b *testing.B, opts stack.Options) {
	b.Helper()
	ctx := context.Background()
	s, err := stack.Start(ctx, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	admin := domain.Caller{TenantID: s.Boot.Tenant.ID, Admin: true}
	pw := "Changeme1"
	var acc *domain.Account
	for i := range restartKeys {
		if i%10 == 0 {
			email := fmt.Sprintf("tk%d@galacticempire.co", i)
			if acc, err = s.Service.CreateAccount(ctx, admin, s.Boot.Application.ID, domain.AccountInput{Email: &email, Password: &pw}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Service.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{}); err != nil {
			b.Fatal(err)
		}
	}
}
