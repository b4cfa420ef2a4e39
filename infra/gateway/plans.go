package gateway

import (
	"context"
	"sync"

	"github.com/keystorm/keystorm/domain"
)

// Plans is the local gateway's usage plans: which usage identifier is
// throttled by which limit. It implements domain.UsagePlans, so the same
// projection (domain.PlanSync) that keeps API Gateway's usage plans in
// step on AWS keeps it in step locally.
type Plans struct {
	mu sync.RWMutex
	m  map[string]domain.RateLimit
}

// Put implements domain.UsagePlans.
func (p *Plans) Put(_ context.Context, id string, limit domain.RateLimit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]domain.RateLimit{}
	}
	p.m[id] = limit
	return nil
}

// Remove implements domain.UsagePlans.
func (p *Plans) Remove(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
	return nil
}

// Limit returns the limit id is throttled by, if it is in a plan.
func (p *Plans) Limit(id string) (domain.RateLimit, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	l, ok := p.m[id]
	return l, ok
}
