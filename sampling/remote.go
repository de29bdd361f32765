package sampling

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JaegerRemoteConfig configures [NewJaegerRemote].
type JaegerRemoteConfig struct {
	// Endpoint is the HTTP URL of a Jaeger sampling endpoint: a Jaeger
	// agent's or Jaeger v2's remote_sampling extension's
	// (http://host:5778/sampling; a URL without a path gets /sampling) or a
	// collector's (http://host:14268/api/sampling, any other path is used as
	// given). The service is added to its query. "" is
	// http://localhost:5778/sampling. gRPC endpoints (ports 14250 and 5779)
	// are not supported and are an error.
	Endpoint string
	// ServiceName is the service whose strategy is fetched. Required.
	ServiceName string
	// PollingInterval is the time between fetches; 0 is a minute, as
	// jaeger-client-go and OpenTelemetry's jaegerremote poll.
	PollingInterval time.Duration
	// InitialSampler decides until the first strategy arrives, and for as
	// long as none does; nil is a probability of 0.001 decided as a Jaeger
	// strategy's (the specification's initialSamplingRate default).
	InitialSampler Sampler
	// MaxOperations bounds the operations given a sampler of their own under
	// a per-operation strategy (listed ones always are); the others get the
	// default probability without the lower bound. 0 is 2000, as
	// jaeger-client-go's.
	MaxOperations int
	// Client fetches the strategy; nil is a client of the sampler's own.
	// Without a Client.Timeout, each fetch times out after the polling
	// interval or 10 seconds, whichever is shorter.
	Client *http.Client
	// Logger is where the sampler says, once, that fetching fails, and once
	// that it recovered; nil is slog.Default().
	Logger *slog.Logger
	// Now is the clock the strategies' rate limiters read; nil is time.Now.
	Now func() time.Time
}

// RemoteStatus is what a remote sampler knows of its strategy.
type RemoteStatus struct {
	// Endpoint is the URL fetched, without userinfo or query.
	Endpoint string
	// Strategy is the strategy in force, as Description says it.
	Strategy string
	// Updated is when the strategy in force was last fetched; zero before
	// the first.
	Updated time.Time
	// LastError is the last fetch's error, "" when it succeeded.
	LastError string
	// Polls counts the fetches made, Failures those that failed.
	Polls, Failures uint64
}

// StatusReporter is implemented by samplers that fetch their strategy
// ([NewJaegerRemote]'s), for core's statistics and the debug page.
type StatusReporter interface {
	Status() RemoteStatus
}

// Defaults of [JaegerRemoteConfig].
const (
	defaultPollingInterval = time.Minute
	defaultMaxOperations   = 2000
	maxFetchTimeout        = 10 * time.Second
	maxStrategyBytes       = 4 << 20
)

// NewJaegerRemote returns a sampler that follows the strategy Jaeger serves
// for a service, as jaeger-client-go's remotely controlled sampler and
// OpenTelemetry's jaegerremote do, and makes the same decisions they make:
//
//   - probabilistic: the strategy's probability, decided on the trace id as
//     jaeger-client-go does (sampled when the id's lower 63 bits are at most
//     probability × (2⁶³−1)); [Decision] type "probabilistic";
//   - rate limiting: at most that many traces a second, a token bucket as
//     [RateLimited]; type "ratelimiting";
//   - per operation: each listed operation's probability and, when it says
//     no, a rate limiter at the strategy's lower bound, which every sampled
//     trace of the operation spends (type "lowerbound", param the
//     probability); an operation not listed gets the default probability
//     with the lower bound, up to MaxOperations operations, and beyond them
//     the default probability alone.
//
// It is not parent-based: wrap it in [ParentBased] for that
// (parentbased_jaeger_remote). It fetches the strategy at once, in the
// background (NewJaegerRemote does not wait for the network), and then every
// PollingInterval, until Close. Until the first strategy arrives, and
// whenever a fetch fails or the response is not a valid strategy, the
// strategy in force is kept: a failing endpoint is logged once at Warn, and
// its recovery once at Info. A new strategy keeps the rate limiters' credits.
//
// Decisions take no lock shared between operations: the strategy in force
// is immutable and read through an atomic pointer. The sampler is safe for
// concurrent use; it implements [OperationSampler] (a strategy may become
// per-operation at any poll) and [StatusReporter]. Call Close to stop its
// polling.
func NewJaegerRemote(cfg JaegerRemoteConfig) (Sampler, error) {
	if strings.TrimSpace(cfg.ServiceName) == "" {
		return nil, errors.New("sampling: jaeger remote sampling needs the service's name, to fetch its strategy")
	}
	ep, err := parseRemoteEndpoint(cfg.Endpoint, cfg.ServiceName)
	if err != nil {
		return nil, err
	}
	if cfg.PollingInterval < 0 {
		return nil, fmt.Errorf("sampling: jaeger remote polling interval %v is negative (0 is the default, a minute)", cfg.PollingInterval)
	}
	if cfg.MaxOperations < 0 {
		return nil, fmt.Errorf("sampling: jaeger remote MaxOperations %d is negative (0 is the default, %d)", cfg.MaxOperations, defaultMaxOperations)
	}
	r := &jaegerRemote{
		endpoint: ep,
		interval: cfg.PollingInterval,
		maxOps:   cfg.MaxOperations,
		client:   cfg.Client,
		logger:   cfg.Logger,
		now:      cfg.Now,
		done:     make(chan struct{}),
	}
	if r.interval == 0 {
		r.interval = defaultPollingInterval
	}
	if r.maxOps == 0 {
		r.maxOps = defaultMaxOperations
	}
	if r.client == nil {
		r.transport = http.DefaultTransport.(*http.Transport).Clone()
		r.client = &http.Client{Transport: r.transport}
	}
	if r.client.Timeout == 0 {
		r.timeout = min(r.interval, maxFetchTimeout)
	}
	if r.logger == nil {
		r.logger = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.state.Store(initialStrategy(cfg.InitialSampler))
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	go r.run(ctx)
	return r, nil
}

// jaegerRemote is [NewJaegerRemote]'s sampler.
type jaegerRemote struct {
	state atomic.Pointer[strategy] // the strategy in force; requests read only this

	endpoint  remoteEndpoint
	interval  time.Duration
	timeout   time.Duration // per fetch, when the client has none
	maxOps    int
	client    *http.Client
	transport *http.Transport // the client's when it is the sampler's own, closed with it
	logger    *slog.Logger
	now       func() time.Time

	cancel    context.CancelFunc
	done      chan struct{} // closed when run returns
	closeOnce sync.Once
	failing   bool // the last fetch failed; run's own

	polls, failures atomic.Uint64
	statusMu        sync.Mutex // guards updated and lastError
	updated         time.Time
	lastError       string
}

var (
	_ Sampler          = (*jaegerRemote)(nil)
	_ OperationSampler = (*jaegerRemote)(nil)
	_ StatusReporter   = (*jaegerRemote)(nil)
	_ io.Closer        = (*jaegerRemote)(nil)
)

// ShouldSample decides with the strategy in force.
func (r *jaegerRemote) ShouldSample(p Params) Decision { return r.state.Load().decide(p) }

// Description says the strategy in force: JaegerRemote{probabilistic 0.5},
// JaegerRemote{ratelimiting 10/s}, JaegerRemote{per-operation: 3
// operations, default 0.1, lower bound 0.5/s}, or JaegerRemote{initial: …}
// before the first strategy.
func (r *jaegerRemote) Description() string { return r.state.Load().desc }

// UsesOperation is true: any poll may bring a per-operation strategy.
func (r *jaegerRemote) UsesOperation() bool { return true }

// Status reports the endpoint, the strategy in force and the polls' outcome.
func (r *jaegerRemote) Status() RemoteStatus {
	r.statusMu.Lock()
	defer r.statusMu.Unlock()
	return RemoteStatus{
		Endpoint:  r.endpoint.public,
		Strategy:  r.Description(),
		Updated:   r.updated,
		LastError: r.lastError,
		Polls:     r.polls.Load(),
		Failures:  r.failures.Load(),
	}
}

// Close stops the polling, cancelling a fetch in flight, and waits for it to
// end. Decisions go on with the last strategy. Close is idempotent and
// returns nil.
func (r *jaegerRemote) Close() error {
	r.closeOnce.Do(func() {
		r.cancel()
		<-r.done
		if r.transport != nil {
			r.transport.CloseIdleConnections()
		}
	})
	return nil
}

// run polls until ctx is cancelled.
func (r *jaegerRemote) run(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		r.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll fetches the strategy once and installs it, or records the failure.
func (r *jaegerRemote) poll(ctx context.Context) {
	body, err := r.fetch(ctx)
	var w wireStrategy
	if err == nil {
		w, err = parseStrategy(body)
	}
	if ctx.Err() != nil {
		return // closing: the fetch was cut short, not failed
	}
	r.polls.Add(1)
	if err != nil {
		r.failures.Add(1)
		r.statusMu.Lock()
		r.lastError = err.Error()
		r.statusMu.Unlock()
		if !r.failing {
			r.failing = true
			r.logger.Warn("sampling: cannot fetch the Jaeger sampling strategy; keeping the one in force until it can",
				"endpoint", r.endpoint.public, "error", err.Error(), "keeping", r.Description())
		}
		return
	}
	prev := r.state.Load()
	next := buildStrategy(w, prev, r.maxOps, r.now)
	r.state.Store(next)
	r.statusMu.Lock()
	r.updated, r.lastError = time.Now(), ""
	r.statusMu.Unlock()
	if r.failing {
		r.failing = false
		r.logger.Info("sampling: the Jaeger sampling strategy is fetched again", "endpoint", r.endpoint.public, "strategy", next.desc)
	} else if next.desc != prev.desc {
		r.logger.Debug("sampling: Jaeger sampling strategy", "endpoint", r.endpoint.public, "strategy", next.desc)
	}
}

// fetch returns the body of a successful response from the endpoint. Its
// errors name neither the URL's userinfo nor its query.
func (r *jaegerRemote) fetch(ctx context.Context) ([]byte, error) {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.endpoint.fetch, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", unwrapURLError(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		if r.timeout > 0 && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("no response within %v", r.timeout)
		}
		return nil, unwrapURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStrategyBytes+1))
	if resp.StatusCode != http.StatusOK {
		snippet := strings.TrimSpace(string(body[:min(len(body), 200)]))
		return nil, fmt.Errorf("status %s: %q", resp.Status, snippet)
	}
	if err != nil {
		if r.timeout > 0 && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("response body not read within %v", r.timeout)
		}
		return nil, fmt.Errorf("response body: %w", unwrapURLError(err))
	}
	if len(body) > maxStrategyBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxStrategyBytes)
	}
	return body, nil
}

// unwrapURLError returns the error a *url.Error wraps: its text would
// repeat the URL, with the query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
