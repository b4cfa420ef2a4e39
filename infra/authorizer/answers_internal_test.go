package authorizer

import (
	"strconv"
	"testing"
)

// The answer cache is bounded: a client walking ever new paths (each a
// new methodArn) cannot grow it past maxAnswers.
func TestAnswersBounded(t *testing.T) {
	var c answers
	for i := range 3 * maxAnswers {
		c.put(answerKey{methodArn: strconv.Itoa(i)}, answer{PrincipalID: "p"})
		if n := len(c.m); n > maxAnswers {
			t.Fatalf("%d answers held after %d puts, want at most %d", n, i+1, maxAnswers)
		}
	}
}
