package stack

import (
	"context"
	"fmt"

	"github.com/keystorm/keystorm/domain"
)

// binding returns the applications the local APIs are bound to: want
// when given, else the bootstrap application: the one this start created,
// or, on a restart, the first developer application of the store's only
// tenant. Without one, nothing is bound and the example API refuses every
// key (it fails closed).
func (s *Stack) binding(ctx context.Context, want []string) ([]string, error) {
	if want != nil {
		return want, nil
	}
	if s.Boot != nil {
		return []string{s.Boot.Application.ID}, nil
	}
	tenants, err := s.Store.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	if len(tenants) != 1 {
		return nil, nil
	}
	apps, _, err := s.Store.List(ctx, "tenant/"+tenants[0]+"/applications", 0, domain.MaxLimit)
	if err != nil {
		return nil, fmt.Errorf("binding: %w", err)
	}
	for _, st := range apps {
		if app, ok := st.(*domain.Application); ok && !app.Admin && !app.Deleted() {
			return []string{app.ID}, nil
		}
	}
	return nil, nil
}
