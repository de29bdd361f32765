package zipkin

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openzipkin/zipkin-go/model"

	"github.com/traceplug/traceplug/backend"
)

// collector answers requests with the statuses it is given, in turn (0: no
// answer, a failed request), then 202, and keeps the bodies it accepted.
type collector struct {
	mu       sync.Mutex
	statuses []int
	bodies   []string
}

func (c *collector) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	status := http.StatusAccepted
	if len(c.statuses) > 0 {
		status, c.statuses = c.statuses[0], c.statuses[1:]
	}
	if status == 0 {
		return nil, errors.New("connection refused")
	}
	if status/100 == 2 {
		c.bodies = append(c.bodies, string(body))
	}
	return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

func (c *collector) spans() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, b := range c.bodies {
		n += strings.Count(b, `"traceId"`)
	}
	return n
}

func newTestReporter(c *collector, batch, backlog int) (*reporter, backend.StatsReporter) {
	r := newReporter(reporterConfig{
		url: "http://collector/api/v2/spans", client: &http.Client{Transport: c}, timeout: time.Second,
		interval: 10 * time.Millisecond, batchSize: batch, backlog: backlog, queueSize: 100,
	}, backend.NewLogger("test: "))
	return r, r.rep
}

func testSpan(id uint64) model.SpanModel {
	return model.SpanModel{
		SpanContext: model.SpanContext{TraceID: model.TraceID{Low: id}, ID: model.ID(id)},
		Name:        "op", Timestamp: time.Unix(1_700_000_000, 0), Duration: time.Millisecond,
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestReporterRetriesWhatGotNoAnswer: a batch whose request failed is sent
// again; one the collector refused is dropped and counted.
func TestReporterRetriesWhatGotNoAnswer(t *testing.T) {
	c := &collector{statuses: []int{0, 0, http.StatusBadRequest}}
	r, counts := newTestReporter(c, 2, 100)
	for i := uint64(1); i <= 4; i++ {
		r.Send(testSpan(i))
	}
	waitFor(t, "the spans to be sent or refused", func() bool {
		return counts.BackendStats().Reported+counts.BackendStats().Dropped[backend.DropRejected] == 4
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st := counts.BackendStats()
	if st.Reported != 2 || st.Dropped[backend.DropRejected] != 2 || c.spans() != 2 {
		t.Errorf("reported %d, dropped %v, the collector has %d: want 2 sent after two failed tries, 2 refused", st.Reported, st.Dropped, c.spans())
	}
}

// TestReporterBacklog: while the collector gives no answer, the spans held
// stay within the backlog, the oldest dropped and counted; what is left is
// sent once it answers.
func TestReporterBacklog(t *testing.T) {
	c := &collector{statuses: make([]int, 1000)} // no answers for a while
	r, counts := newTestReporter(c, 2, 4)
	for i := uint64(1); i <= 10; i++ {
		r.Send(testSpan(i))
	}
	waitFor(t, "the backlog to fill", func() bool { return counts.BackendStats().Dropped[backend.DropBacklog] == 6 })
	c.mu.Lock()
	c.statuses = nil
	c.mu.Unlock()
	waitFor(t, "the backlog to be sent", func() bool { return counts.BackendStats().Reported == 4 })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.bodies[0], `"traceId":"0000000000000007"`) {
		t.Errorf("the oldest spans should have been dropped, not %s", c.bodies[0])
	}
}

// TestReporterDropsWhatJSONCannotCarry: a span zipkin-go's serializer would
// refuse (and with it its whole batch, every time) is dropped alone.
func TestReporterDropsWhatJSONCannotCarry(t *testing.T) {
	c := &collector{}
	r, counts := newTestReporter(c, 2, 100)
	bad := testSpan(1)
	bad.Duration = -time.Second
	r.Send(bad)
	r.Send(testSpan(2))
	r.Send(testSpan(3))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	st := counts.BackendStats()
	if st.Reported != 2 || st.Dropped[backend.DropUnencodable] != 1 || c.spans() != 2 {
		t.Errorf("reported %d, dropped %v: want the bad span dropped alone", st.Reported, st.Dropped)
	}
}
