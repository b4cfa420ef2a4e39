package stack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/stack"
)

// BenchmarkPasswordResetRequest times a reset request for an address with
// an account (a write and a mail to the outbox) and for one without
// (neither), on the local server's store (SQLite) and the embedded
// DynamoDB, without padding and with a floor: the README's "Equal time"
// figures come from here.
//
//	go test -run '^$' -bench PasswordResetRequest -benchtime 300x ./infra/stack/
func BenchmarkPasswordResetRequest(b *testing.B) {
	for _, store := range []string{stack.StoreSQLite, stack.StoreDynamoDB} {
		for _, floor := range []time.Duration{0, 50 * time.Millisecond} {
			s, err := stack.Start(context.Background(), stack.Options{Store: store, Hasher: cheapHasher, Clock: domain.SystemClock,
				PublicURL: "http://127.0.0.1:3000", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			svc := s.Service
			svc.MailFloor = floor
			admin := domain.Caller{TenantID: s.Boot.Tenant.ID, AccountID: s.Boot.Admin.ID, KeyID: s.Boot.AdminKey.ID, Admin: true, LinkBase: "http://127.0.0.1:3000"}
			app := s.Boot.Application.ID
			if _, err := svc.CreateAccount(context.Background(), admin, app, domain.AccountInput{Username: ptrS("tk421"),
				Email: ptrS("tk421@galacticempire.co"), Password: ptrS("Changeme1")}); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct{ name, addr string }{{"known", "tk421@galacticempire.co"}, {"unknown", "vader@galacticempire.co"}} {
				b.Run(fmt.Sprintf("%s/floor=%v/%s", store, floor, c.name), func(b *testing.B) {
					// Percentiles as well as the mean: the mean hides
					// whether the two paths' distributions overlap.
					var took []time.Duration
					for b.Loop() {
						t0 := time.Now()
						if err := svc.RequestPasswordReset(context.Background(), admin, app, c.addr); err != nil {
							b.Fatal(err)
						}
						took = append(took, time.Since(t0))
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
				})
			}
			s.Close()
		}
	}
}

func ptrS(s string) *string { return &s }
