package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// loadConfig is one run of load.
type loadConfig struct {
	url       string // the server, http://host:port
	clients   int
	duration  time.Duration // how long to run; 0: until requests are sent
	requests  int           // stop after this many requests in all (0: no limit)
	malformed float64       // the share of malformed requests
	seed      uint64
	images    int // the size of the image pool
}

// outcome is what one request got.
type outcome struct {
	kind    *kind
	latency time.Duration
	status  int   // 0: no answer
	err     error // a transport error, a non-JSON error body or a wrong answer
	cut     bool  // cancelled by the end of the run: not counted
}

// stats are a run's counts and latencies.
type stats struct {
	elapsed       time.Duration
	requests      int
	byStatus      map[int]int
	server5xx     int
	transport     int // requests with no answer
	tooMany       int // 429s
	wrong         []string
	valid         []time.Duration
	all           []time.Duration
	perKind       map[string]*kindStats
	malformedSent int
}

type kindStats struct {
	sent, asExpected int
	latencies        []time.Duration
}

// newClient is an HTTP client that keeps a connection per load client.
func newClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        clients * 2,
			MaxIdleConnsPerHost: clients * 2,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// load sends requests from cfg.clients goroutines, each waiting for its
// answer before sending the next, and gathers what they got.
func load(ctx context.Context, cfg loadConfig, set *requestSet, client *http.Client) *stats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.duration > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, cfg.duration)
		defer c()
	}
	var (
		mu      sync.Mutex
		results [][]outcome
		sent    int
		wg      sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if cfg.requests > 0 && sent >= cfg.requests {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	for c := range cfg.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.seed, uint64(c)))
			next := c // each client starts the malformed cycle elsewhere
			var mine []outcome
			for ctx.Err() == nil && take() {
				k := set.pick(rng, cfg.malformed, &next)
				mine = append(mine, send(ctx, client, cfg.url, set.model, k, rng.IntN(max(cfg.images, 1))))
			}
			mu.Lock()
			results = append(results, mine)
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := &stats{elapsed: time.Since(start), byStatus: map[int]int{}, perKind: map[string]*kindStats{}}
	for _, rs := range results {
		for _, o := range rs {
			if !o.cut {
				s.add(o)
			}
		}
	}
	return s
}

func (s *stats) add(o outcome) {
	s.requests++
	ks := s.perKind[o.kind.name]
	if ks == nil {
		ks = &kindStats{}
		s.perKind[o.kind.name] = ks
	}
	ks.sent++
	ks.latencies = append(ks.latencies, o.latency)
	if !o.kind.valid {
		s.malformedSent++
	}
	switch {
	case o.status == 0:
		s.transport++
		s.wrong = append(s.wrong, fmt.Sprintf("%s: no answer: %v", o.kind.name, o.err))
		return
	case o.status >= 500:
		s.server5xx++
	case o.status == http.StatusTooManyRequests:
		s.tooMany++
	}
	s.byStatus[o.status]++
	s.all = append(s.all, o.latency)
	if o.kind.valid && o.status == 200 {
		s.valid = append(s.valid, o.latency)
	}
	switch {
	case o.err != nil:
		s.wrong = append(s.wrong, fmt.Sprintf("%s: status %d: %v", o.kind.name, o.status, o.err))
	case o.status == o.kind.status:
		ks.asExpected++
	case o.status != http.StatusTooManyRequests:
		s.wrong = append(s.wrong, fmt.Sprintf("%s: status %d, want %d", o.kind.name, o.status, o.kind.status))
	}
}

// send makes one request of kind k and checks its answer.
func send(ctx context.Context, client *http.Client, base, model string, k *kind, img int) outcome {
	path := k.path
	if strings.Contains(path, "%s") {
		path = fmt.Sprintf(path, model)
	}
	body := k.body(img)
	req, err := http.NewRequestWithContext(ctx, k.method, base+path, bytes.NewReader(body))
	if err != nil {
		return outcome{kind: k, err: err}
	}
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return outcome{kind: k, latency: time.Since(start), err: err, cut: ctx.Err() != nil}
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil && ctx.Err() != nil {
		return outcome{kind: k, cut: true}
	}
	o := outcome{kind: k, latency: time.Since(start), status: res.StatusCode}
	switch {
	case err != nil:
		o.err = fmt.Errorf("reading the answer: %w", err)
	case res.Header.Get("Content-Type") != "application/json":
		o.err = fmt.Errorf("Content-Type %q, want application/json", res.Header.Get("Content-Type"))
	case res.StatusCode >= 400:
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			o.err = fmt.Errorf("%.200s is not a JSON error", b)
		}
	case res.StatusCode == 200 && k.check != nil:
		o.err = k.check(b, img)
	}
	return o
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}
