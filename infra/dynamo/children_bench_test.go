package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/keystorm/keystorm/domain"
)

// BenchmarkCallsParents reports DynamoDB calls per operation (calls/op)
// of the commands that create children under a parent or delete a
// parent, the ones that keep child counts (see domain.Parent).
func BenchmarkCallsParents(b *testing.B) {
	ctx := context.Background()
	measure := func(b *testing.B, x *bench, setup func(i int) string, op func(i int, arg string) error) {
		b.Helper()
		var calls int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			arg := setup(i)
			before := x.h.Counter.Total()
			b.StartTimer()
			if err := op(i, arg); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			calls += x.h.Counter.Total() - before
			b.StartTimer()
		}
		b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
	}
	none := func(int) string { return "" }
	group := func(b *testing.B, x *bench, name string) string {
		g, err := x.svc.CreateGroup(ctx, x.admin, x.boot.Application.ID, domain.GroupInput{Name: &name})
		if err != nil {
			b.Fatal(err)
		}
		return g.ID
	}

	b.Run("CreateGroup", func(b *testing.B) {
		x := newBench(b)
		measure(b, x, none, func(i int, _ string) error {
			_, err := x.svc.CreateGroup(ctx, x.admin, x.boot.Application.ID, domain.GroupInput{Name: ptr(fmt.Sprint("g", i))})
			return err
		})
	})
	b.Run("CreateMembership", func(b *testing.B) {
		x := newBench(b)
		g := group(b, x, "troopers")
		measure(b, x, func(i int) string { return x.account(b, fmt.Sprint("m", i)).ID }, func(_ int, acc string) error {
			_, err := x.svc.CreateMembership(ctx, x.admin, acc, g)
			return err
		})
	})
	b.Run("DeleteAPIKey", func(b *testing.B) {
		x := newBench(b)
		acc := x.account(b, "tk421")
		measure(b, x, func(int) string { return x.key(b, acc.ID).ID }, func(_ int, id string) error {
			return x.svc.DeleteAPIKey(ctx, x.admin, id)
		})
	})
	b.Run("DeleteApplication", func(b *testing.B) {
		x := newBench(b)
		measure(b, x, func(i int) string {
			app, err := x.svc.CreateApplication(ctx, x.admin, domain.ApplicationInput{Name: ptr(fmt.Sprint("app", i))})
			if err != nil {
				b.Fatal(err)
			}
			return app.ID
		}, func(_ int, id string) error {
			return x.svc.DeleteApplication(ctx, x.admin, id)
		})
	})
	b.Run("DeleteApplicationRefused", func(b *testing.B) {
		x := newBench(b)
		x.account(b, "tk421")
		measure(b, x, none, func(int, string) error {
			if err := x.svc.DeleteApplication(ctx, x.admin, x.boot.Application.ID); domain.KindOf(err) != domain.KindConflict {
				return fmt.Errorf("want a conflict, got %v", err)
			}
			return nil
		})
	})
	for _, n := range []int{0, 5} {
		b.Run(fmt.Sprintf("DeleteGroupWith%dMembers", n), func(b *testing.B) {
			x := newBench(b)
			var accs []string
			for i := range n {
				accs = append(accs, x.account(b, fmt.Sprint("u", i)).ID)
			}
			measure(b, x, func(i int) string {
				g := group(b, x, fmt.Sprint("g", i))
				for _, a := range accs {
					if _, err := x.svc.CreateMembership(ctx, x.admin, a, g); err != nil {
						b.Fatal(err)
					}
				}
				return g
			}, func(_ int, id string) error {
				return x.svc.DeleteGroup(ctx, x.admin, id)
			})
		})
	}
}
