package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// Result is what a run measured.
type Result struct {
	Requests   int            `json:"requests"`
	Seconds    float64        `json:"seconds"`
	PerSecond  float64        `json:"requestsPerSecond"`
	P50ms      float64        `json:"p50ms"`
	P99ms      float64        `json:"p99ms"`
	MaxMs      float64        `json:"maxMs"`
	Statuses   map[string]int `json:"statuses"`
	Errors     int            `json:"errors"`
	Concurrent int            `json:"concurrency"`
}

// Target is one request to repeat.
type Target struct {
	URL    string
	Method string
	User   string // id:secret for Basic, optional
	Form   string // form body, optional
	// Authorization, optional, is sent as is (a Bearer token).
	Authorization string
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	u := fs.String("url", "", "target URL on this machine")
	method := fs.String("method", "POST", "HTTP method")
	user := fs.String("user", "", "id:secret for HTTP Basic")
	form := fs.String("form", "", "form-encoded body")
	n := fs.Int("n", 2000, "number of requests (at most 1,000,000)")
	c := fs.Int("c", 16, "concurrent connections (at most 512)")
	maxTime := fs.Duration("max", time.Minute, "stop after this long whatever is left")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	suite := fs.String("suite", "", "run the whole suite against this local server `base` URL: the no-auth baseline, token issue, and the protected API with Basic and Bearer, in one run, with their ratios; needs -admin")
	admin := fs.String("admin", "", "the server's first-start JSON line, or id:secret of its admin key, with -suite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *suite != "" {
		ctx, cancel := context.WithTimeout(ctx, *maxTime*5)
		defer cancel()
		return runSuite(ctx, *suite, *admin, *n, *c, w)
	}
	t := Target{URL: *u, Method: *method, User: *user, Form: *form}
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	res, err := Load(ctx, t, *n, *c)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(w).Encode(res)
	}
	fmt.Fprintf(w, "%d requests in %.2fs over %d connections: %.0f req/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, statuses %v, errors %d\n",
		res.Requests, res.Seconds, res.Concurrent, res.PerSecond, res.P50ms, res.P99ms, res.MaxMs, res.Statuses, res.Errors)
	return nil
}

// Load runs n requests over c workers against a loopback target.
func Load(ctx context.Context, t Target, n, c int) (Result, error) {
	pu, err := url.Parse(t.URL)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return Result{}, fmt.Errorf("bad -url %q", t.URL)
	}
	if ip := net.ParseIP(pu.Hostname()); pu.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Result{}, errors.New("the target must be on this machine (loopback)")
	}
	if n < 1 || n > 1_000_000 || c < 1 || c > 512 {
		return Result{}, errors.New("-n must be 1..1000000 and -c 1..512")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	var next atomic.Int64
	lat := make([]time.Duration, n)
	statuses := make([]int, n)
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				var body io.Reader
				if t.Form != "" {
					body = strings.NewReader(t.Form)
				}
				req, _ := http.NewRequestWithContext(ctx, t.Method, t.URL, body)
				if t.Form != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if id, secret, ok := strings.Cut(t.User, ":"); ok {
					req.SetBasicAuth(id, secret)
				}
				if t.Authorization != "" {
					req.Header.Set("Authorization", t.Authorization)
				}
				t0 := time.Now()
				res, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					statuses[i] = -1
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				lat[i], statuses[i] = time.Since(t0), res.StatusCode
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	out := Result{Concurrent: c, Statuses: map[string]int{}, Errors: int(errs.Load()), Seconds: elapsed.Seconds()}
	var done []time.Duration
	for i, s := range statuses {
		if s == 0 {
			continue // not sent: time ran out
		}
		out.Requests++
		if s > 0 {
			out.Statuses[fmt.Sprint(s)]++
			done = append(done, lat[i])
		}
	}
	if len(done) > 0 {
		slices.Sort(done)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		out.P50ms, out.P99ms, out.MaxMs = ms(done[len(done)/2]), ms(done[len(done)*99/100]), ms(done[len(done)-1])
	}
	out.PerSecond = float64(out.Requests) / elapsed.Seconds()
	return out, nil
}
