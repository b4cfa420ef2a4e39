package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/sqlite"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// config is the run's size.
type config struct {
	small, accounts, keys, samples, workers int
	keep                                    string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The servers' stderr is copied in by os/exec's goroutines while the
	// script writes its progress: one lock for both.
	stderr = &lockedWriter{w: stderr}
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.small, "small", 10, "accounts in the small store (each with -keys keys)")
	fs.IntVar(&c.accounts, "accounts", 10_000, "accounts in the big store")
	fs.IntVar(&c.keys, "keys", 10, "API keys per account")
	fs.IntVar(&c.samples, "samples", 300, "requests per measured operation")
	fs.IntVar(&c.workers, "workers", 4, "goroutines filling the store")
	fs.StringVar(&c.keep, "keep", "", "keep the data directory here instead of a temporary one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.small < 2 || c.accounts < c.small || c.keys < 1 || c.samples < 1 || c.workers < 1 ||
		c.accounts > 1_000_000 || c.keys > 1000 || c.samples > 100_000 || c.workers > 64 {
		return errors.New("need 2 <= -small <= -accounts <= 1,000,000, 1 <= -keys <= 1000, 1 <= -samples <= 100,000, 1 <= -workers <= 64")
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "keystorm-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, "data")
	if c.keep != "" {
		data = c.keep
		if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
			return fmt.Errorf("-keep %s: the directory is not empty", data)
		}
	}
	bin := filepath.Join(tmp, "keystorm-local")
	fmt.Fprintln(stderr, "building ./infra/local")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./infra/local")
	build.Dir, build.Stdout, build.Stderr = root, stderr, stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	return measure(ctx, c, bin, root, data, stdout, stderr)
}

// page is the page size of every measured list: the small store's whole
// application, so that first pages hold as many items at both sizes.
func (c config) page() int { return min(c.small, domain.MaxLimit) }

// figures are one size's measurements.
type figures struct {
	keys, accounts int
	ops            map[string]latency
	restart        time.Duration
	rssKiB, hwmKiB int64
	dbBytes        int64
}

// latency is a p50 and p90 in milliseconds.
type latency struct{ p50, p90 float64 }

// The measured operations, in print order.
var opNames = []string{"create API key", "get account", "list accounts, first page", "list accounts, deep page by offset", "list accounts, deep page by next link"}

func measure(ctx context.Context, c config, bin, root, data string, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv, err := startServer(ctx, bin, root, data, addr, stderr)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()
	var creds struct {
		Application  string `json:"application"`
		APIKeyID     string `json:"apiKeyId"`
		APIKeySecret string `json:"apiKeySecret"`
	}
	if err := json.Unmarshal([]byte(srv.firstStart), &creds); err != nil || creds.APIKeyID == "" {
		return fmt.Errorf("the server printed no first-start credentials (%q)", srv.firstStart)
	}
	api := &client{http: &http.Client{Timeout: time.Minute}, id: creds.APIKeyID, secret: creds.APIKeySecret}

	fmt.Fprintf(stderr, "small store: %d accounts with %d keys each, over HTTP\n", c.small, c.keys)
	var accounts []string
	for i := range c.small {
		acc, err := api.createAccount(ctx, creds.Application, "small"+strconv.Itoa(i))
		if err != nil {
			return err
		}
		accounts = append(accounts, acc)
		for range c.keys {
			if err := api.call(ctx, "POST", acc+"/apiKeys", 201, nil); err != nil {
				return err
			}
		}
	}
	small, err := sample(ctx, api, creds.Application, accounts, c.samples, c.page())
	if err != nil {
		return err
	}
	small.accounts, small.keys = c.small, c.small*c.keys
	if err := srv.stop(); err != nil {
		return err
	}
	if srv, err = startServer(ctx, bin, root, data, addr, stderr); err != nil {
		return err
	}
	small.restart = srv.ready
	small.rssKiB, small.hwmKiB = srv.memory()
	if err := srv.stop(); err != nil {
		return err
	}

	fmt.Fprintf(stderr, "filling to %d accounts with %d keys each, in process\n", c.accounts, c.keys)
	began := time.Now()
	n, err := fill(ctx, filepath.Join(data, "keystorm.db"), creds.APIKeyID, c.accounts-c.small, c.keys, c.workers)
	if err != nil {
		return err
	}
	fillTime := time.Since(began)

	if srv, err = startServer(ctx, bin, root, data, addr, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stderr, "big store: measuring")
	big, err := sample(ctx, api, creds.Application, accounts, c.samples, c.page())
	if err != nil {
		return err
	}
	big.accounts, big.keys = c.accounts, c.accounts*c.keys
	big.restart = srv.ready
	big.rssKiB, big.hwmKiB = srv.memory()
	if fi, err := os.Stat(filepath.Join(data, "keystorm.db")); err == nil {
		big.dbBytes = fi.Size()
	}
	report(stdout, c, small, big, n, fillTime)
	return nil
}

// sample times each operation samples times, interleaved so that a slow
// moment of the machine hurts every operation alike. Created keys land on
// the small accounts in turn.
func sample(ctx context.Context, api *client, app string, accounts []string, samples, limit int) (figures, error) {
	var size struct {
		Size int `json:"size"`
	}
	if err := api.get(ctx, app+"/accounts?limit=1", &size); err != nil {
		return figures{}, err
	}
	// The deep page: the last full page, by offset, and by the next link
	// of the page before it. A store of fewer than two pages has none.
	deep := size.Size - limit
	var before struct {
		Next struct {
			Href string `json:"href"`
		} `json:"next"`
	}
	if deep >= limit {
		if err := api.get(ctx, fmt.Sprintf("%s/accounts?offset=%d&limit=%d", app, deep-limit, limit), &before); err != nil {
			return figures{}, err
		}
		if before.Next.Href == "" {
			return figures{}, errors.New("the page before the last has no next link")
		}
	}
	ops := map[string]func(i int) error{
		"create API key": func(i int) error { return api.call(ctx, "POST", accounts[i%len(accounts)]+"/apiKeys", 201, nil) },
		"get account":    func(i int) error { return api.call(ctx, "GET", accounts[i%len(accounts)], 200, nil) },
		"list accounts, first page": func(int) error {
			return api.call(ctx, "GET", fmt.Sprintf("%s/accounts?limit=%d", app, limit), 200, nil)
		},
		"list accounts, deep page by offset": func(int) error {
			return api.call(ctx, "GET", fmt.Sprintf("%s/accounts?offset=%d&limit=%d", app, deep, limit), 200, nil)
		},
		"list accounts, deep page by next link": func(int) error { return api.call(ctx, "GET", before.Next.Href, 200, nil) },
	}
	// A few unmeasured rounds first, so that neither size is measured on
	// cold caches and fresh connections.
	for i := range min(samples, 10) {
		for _, name := range opNames {
			if strings.Contains(name, "deep") && deep < limit {
				continue
			}
			if err := ops[name](i); err != nil {
				return figures{}, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	times := map[string][]float64{}
	for i := range samples {
		for _, name := range opNames {
			if strings.Contains(name, "deep") && deep < limit {
				continue
			}
			began := time.Now()
			if err := ops[name](i); err != nil {
				return figures{}, fmt.Errorf("%s: %w", name, err)
			}
			times[name] = append(times[name], float64(time.Since(began).Microseconds())/1000)
		}
	}
	f := figures{ops: map[string]latency{}}
	for name, ts := range times {
		f.ops[name] = latency{p50: percentile(ts, 50), p90: percentile(ts, 90)}
	}
	return f, nil
}

func percentile(v []float64, p int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// fill creates accounts with keys through domain.Service on the server's
// own database file while the server is stopped: the same commands and
// store as over HTTP, minus HTTP and the deliberately slow password hash.
func fill(ctx context.Context, path, adminKeyID string, accounts, keys, workers int) (int, error) {
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	tenant, err := st.OnlyTenant(ctx, "")
	if err != nil {
		return 0, err
	}
	apps, _, err := st.List(ctx, "tenant/"+tenant+"/applications", 0, domain.MaxLimit)
	if err != nil {
		return 0, err
	}
	var appID string
	for _, a := range apps {
		if a, ok := a.(*domain.Application); ok && !a.Admin {
			appID = a.ID
		}
	}
	if appID == "" {
		return 0, errors.New("the store has no developer application")
	}
	svc := domain.NewService(st)
	svc.Hasher = domain.Argon2id{MemoryKiB: 64, Time: 1, Threads: 1}
	admin := domain.Caller{TenantID: tenant, KeyID: adminKeyID, Admin: true}
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(accounts) || ctx.Err() != nil {
					return
				}
				name, email, pw := fmt.Sprintf("fill%07d", i), fmt.Sprintf("fill%07d@example.com", i), "Changeme1"
				acc, err := svc.CreateAccount(ctx, admin, appID, domain.AccountInput{Username: &name, Email: &email, Password: &pw})
				if err != nil {
					errc <- fmt.Errorf("fill account %d: %w", i, err)
					return
				}
				for range keys {
					if _, err := svc.CreateAPIKey(ctx, admin, acc.ID, domain.APIKeyInput{}); err != nil {
						errc <- fmt.Errorf("fill key of account %d: %w", i, err)
						return
					}
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return 0, err
	}
	return int(done.Load()), ctx.Err()
}

func report(w io.Writer, c config, small, big figures, filled int, fillTime time.Duration) {
	fmt.Fprintf(w, "Local server on SQLite (-data), requests one at a time over loopback, p50 (p90) of %d each\n\n", c.samples)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "| operation\t| %d keys, %d accounts\t| %d keys, %d accounts\t| ratio of p50s\t|\n", small.keys, small.accounts, big.keys, big.accounts)
	fmt.Fprintf(tw, "|---\t|---\t|---\t|---\t|\n")
	for _, name := range opNames {
		s, ok := small.ops[name]
		b := big.ops[name]
		if !ok {
			// No deep page in the small store: compare with the big
			// store's own first page instead, which is the claim.
			first := big.ops[opNames[2]]
			fmt.Fprintf(tw, "| %s\t| –\t| %.2f ms (%.2f)\t| %.2f× its first page\t|\n", name, b.p50, b.p90, b.p50/first.p50)
			continue
		}
		fmt.Fprintf(tw, "| %s\t| %.2f ms (%.2f)\t| %.2f ms (%.2f)\t| %.2f×\t|\n", name, s.p50, s.p90, b.p50, b.p90, b.p50/s.p50)
	}
	fmt.Fprintf(tw, "| restart with -data, exec to first answer\t| %d ms\t| %d ms\t| \t|\n", small.restart.Milliseconds(), big.restart.Milliseconds())
	fmt.Fprintf(tw, "| server memory after restart, RSS (peak)\t| %.1f MiB (%.1f)\t| %.1f MiB (%.1f)\t| \t|\n",
		float64(small.rssKiB)/1024, float64(small.hwmKiB)/1024, float64(big.rssKiB)/1024, float64(big.hwmKiB)/1024)
	tw.Flush()
	fmt.Fprintf(w, "\nEvery list is a page of %d accounts of one application; the deep page is accounts %d to %d of %d.\n", c.page(), big.accounts-c.page()+1, big.accounts, big.accounts)
	fmt.Fprintln(w, "The big store's memory was read after its measurements.")
	fmt.Fprintf(w, "Fill: %d accounts with %d keys each in %v (%.0f commands/s, in process); database file %.1f MiB.\n",
		filled, c.keys, fillTime.Round(time.Millisecond), float64(filled*(1+c.keys))/fillTime.Seconds(), float64(big.dbBytes)/(1<<20))
}

// server is a running local server.
type server struct {
	cmd        *exec.Cmd
	firstStart string        // the first-start JSON line, if it printed one
	ready      time.Duration // exec to the first answered request
	done       chan error
	stopped    bool
}

// startServer starts bin on addr and waits until it answers. Every start
// uses the same address: the hrefs the first one printed must stay good.
func startServer(ctx context.Context, bin, root, data, addr string, stderr io.Writer) (*server, error) {
	cmd := exec.Command(bin, "-data", data, "-addr", addr, "-quiet")
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
		s.done <- cmd.Wait()
	}()
	probe := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := probe.Get("http://" + addr + "/.well-known/jwks.json")
		if err == nil {
			res.Body.Close()
			s.ready = time.Since(began)
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("the server did not answer on %s: %v", addr, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	// The banner is printed before the server is handed its listener, so
	// it is complete once the server answers.
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return s, nil
			}
			if strings.HasPrefix(l, "{") {
				s.firstStart = l
			}
			continue
		case <-time.After(100 * time.Millisecond):
		}
		break
	}
	return s, nil
}

// memory reads the server's resident set and its peak, in KiB.
func (s *server) memory() (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			hwm = n
		}
	}
	return rss, hwm
}

// stop asks the server to shut down and waits for it.
func (s *server) stop() error {
	if s == nil || s.stopped {
		return nil
	}
	s.stopped = true
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return errors.New("the server did not stop within 15 s of SIGINT")
	}
}

// client calls the management API as the tenant's admin.
type client struct {
	http       *http.Client
	id, secret string
}

func (c *client) createAccount(ctx context.Context, app, username string) (string, error) {
	body := fmt.Sprintf(`{"username":%q,"email":%q,"password":"Changeme1","givenName":"Scale","surname":"Test"}`, username, username+"@example.com")
	var acc struct {
		Href string `json:"href"`
	}
	err := c.do(ctx, "POST", app+"/accounts", body, 201, &acc)
	return acc.Href, err
}

func (c *client) get(ctx context.Context, url string, out any) error {
	return c.do(ctx, "GET", url, "", 200, out)
}

func (c *client) call(ctx context.Context, method, url string, want int, out any) error {
	return c.do(ctx, method, url, "", want, out)
}

func (c *client) do(ctx context.Context, method, url, body string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.id, c.secret)
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// moduleRoot is the directory of the module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the keystorm module")
	}
	return filepath.Dir(mod), nil
}

// lockedWriter serializes writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
