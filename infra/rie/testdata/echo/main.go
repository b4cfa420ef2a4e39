// Command echo is a tiny Lambda function used by the rie package tests: it
// returns its input event together with a few environment variables, so a
// test can see both the payload round trip and what the emulator passed on.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	Event json.RawMessage   `json:"event"`
	Env   map[string]string `json:"env"`
}

func handle(_ context.Context, event json.RawMessage) (response, error) {
	var probe struct {
		Fail string `json:"fail"`
	}
	_ = json.Unmarshal(event, &probe)
	if probe.Fail != "" {
		return response{}, errors.New(probe.Fail)
	}
	fmt.Fprintf(os.Stderr, "echo: handling %d bytes\n", len(event))
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return response{Event: event, Env: env}, nil
}

func main() {
	lambda.Start(handle)
}
