package authorizer

import (
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// maxAnswers bounds the answer cache. Its key holds the concrete path (in
// methodArn), so a client walking many paths would otherwise grow it
// without limit; when full it is emptied, which only costs recomputing.
const maxAnswers = 1024

// answerKey is everything a REQUEST Allow is computed from: the route
// (methodArn, method, resource template), the stage (for the href) and
// the decision. Handler.BaseURL is fixed per Handler.
type answerKey struct {
	methodArn, httpMethod, resource, stage string
	d                                      Decision
}

// answer is a computed Allow, shared by every request with its key.
type answer = events.APIGatewayCustomAuthorizerResponse

// answers caches REQUEST Allows. A busy credential calls the same routes
// over and over; recomputing the route ARN, the href and the context (a
// dozen allocations) each time is the larger part of a cache hit's cost.
// Answers are shared: the policy document and the context map of one
// answer go out with every request that has its key, so nothing may
// change them (HandleRequest's callers serialize them and nothing else).
// It holds no decision of its own: a key is only looked up with a
// Decision just made, so it never extends how long a credential is good.
type answers struct {
	mu sync.RWMutex
	m  map[answerKey]answer
}

func (c *answers) get(k answerKey) (answer, bool) {
	c.mu.RLock()
	a, ok := c.m[k]
	c.mu.RUnlock()
	return a, ok
}

func (c *answers) put(k answerKey, a answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxAnswers {
		c.m = make(map[answerKey]answer)
	}
	c.m[k] = a
}
