package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// TestConcurrentCommandsOnFile runs commands and reads from many
// goroutines on one WAL file, through domain.Service: every command must
// succeed (commits wait for the write lock under BEGIN IMMEDIATE and
// busy_timeout instead of failing with SQLITE_BUSY), and the counts and
// collections must add up afterwards.
func TestConcurrentCommandsOnFile(t *testing.T) {
	ctx := context.Background()
	st := open(t, filepath.Join(t.TempDir(), "keystorm.db"))
	// The service's own randomness and clock, which are safe for
	// concurrent use (the workload's seeded ones are not).
	svc := domain.NewService(st)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	boot, err := svc.Bootstrap(ctx, domain.BootstrapInput{})
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Caller{TenantID: boot.Tenant.ID, AccountID: boot.Admin.ID, KeyID: boot.AdminKey.ID, Admin: true}
	name, email, pw := "tk421", "tk421@example.com", "Changeme1"
	acc, err := svc.CreateAccount(ctx, admin, boot.Application.ID, domain.AccountInput{Username: &name, Email: &email, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 6, 15
	coll := "account/" + acc.ID + "/apikeys"
	errs := make(chan error, 2*workers*each)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			for j := range each {
				if _, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{Name: ptr(fmt.Sprintf("k%d-%d", i, j))}); err != nil {
					errs <- fmt.Errorf("create: %w", err)
				}
			}
		})
		wg.Go(func() {
			for range each {
				page, total, err := st.List(ctx, coll, 0, domain.MaxLimit)
				if err != nil {
					errs <- fmt.Errorf("list: %w", err)
				} else if len(page) != min(total, domain.MaxLimit) {
					errs <- fmt.Errorf("list: %d items of %d", len(page), total)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, total, err := st.List(ctx, coll, 0, 1)
	if err != nil || total != workers*each {
		t.Fatalf("keys listed: %d, %v; want %d", total, err, workers*each)
	}
	got := &domain.Account{}
	if err := st.Load(ctx, acc.Ref(), got); err != nil || got.Children() != workers*each {
		t.Fatalf("account counts %d children, %v; want %d", got.Children(), err, workers*each)
	}
}

func ptr(s string) *string { return &s }
