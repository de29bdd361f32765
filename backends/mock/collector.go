package mock

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
)

// Collector receives the finished spans of every mock tracer pointed at its
// [Collector.Endpoint], the way a real backend's collector receives spans from
// several services. Create one with [NewCollector] and Close it when done. It
// is safe for concurrent use.
type Collector struct {
	endpoint string

	mu     sync.Mutex
	spans  []Span
	closed bool
}

var (
	collectorsMu sync.Mutex
	collectors   = map[string]*Collector{}
	collectorSeq atomic.Uint64
)

// NewCollector creates a live collector with a fresh "mem://" endpoint.
func NewCollector() *Collector {
	c := &Collector{endpoint: "mem://collector-" + strconv.FormatUint(collectorSeq.Add(1), 10)}
	collectorsMu.Lock()
	collectors[c.endpoint] = c
	collectorsMu.Unlock()
	return c
}

func lookupCollector(endpoint string) (*Collector, error) {
	if !strings.HasPrefix(endpoint, "mem://") {
		return nil, backend.BadOptionf("mock: endpoint %q: want \"\" or the mem:// endpoint of a mock.Collector", redact.Endpoint(endpoint))
	}
	collectorsMu.Lock()
	c := collectors[endpoint]
	collectorsMu.Unlock()
	if c == nil {
		return nil, backend.BadOptionf("mock: endpoint %q: no live mock.Collector there (closed, or never created)", redact.Endpoint(endpoint))
	}
	return c, nil
}

// Endpoint returns the collector's address, for core.WithEndpoint.
func (c *Collector) Endpoint() string { return c.endpoint }

// Spans returns copies of the spans received so far, in arrival order.
func (c *Collector) Spans() []Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Span, len(c.spans))
	for i, s := range c.spans {
		out[i] = s.clone()
	}
	return out
}

// Reset forgets the spans received so far.
func (c *Collector) Reset() {
	c.mu.Lock()
	c.spans = nil
	c.mu.Unlock()
}

// Close frees the endpoint: new tracers can no longer be pointed at it, and
// tracers already pointed at it keep recording for themselves only. The spans
// already received stay readable.
func (c *Collector) Close() {
	collectorsMu.Lock()
	delete(collectors, c.endpoint)
	collectorsMu.Unlock()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

func (c *Collector) add(s Span) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.spans = append(c.spans, s)
	}
}
