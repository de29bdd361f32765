package zipkin

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/reporter"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/internal/report"
)

// zipkin-go's HTTP reporter counts nothing, so the backend watches it: a
// serializer that remembers how many spans the batch being sent holds, a
// client that counts them as reported (2xx) or rejected (other answers,
// which zipkin-go drops), and a log writer that counts the spans zipkin-go
// says it disposed of when its backlog was full. Its one send loop serializes
// and sends one batch at a time, so the remembered size is the sent batch's.

type countingSerializer struct {
	reporter.SpanSerializer
	batch *atomic.Uint64
}

func (s countingSerializer) Serialize(spans []*model.SpanModel) ([]byte, error) {
	s.batch.Store(uint64(len(spans)))
	return s.SpanSerializer.Serialize(spans)
}

type countingClient struct {
	*http.Client
	batch  *atomic.Uint64
	counts *core.SpanCounts
}

func (c countingClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.Client.Do(req)
	if err != nil {
		return resp, err // zipkin-go keeps the batch and tries again
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		c.counts.Reported(c.batch.Load())
	} else {
		c.counts.Dropped(core.DropRejected, c.batch.Load())
	}
	return resp, nil
}

// backlogWatcher counts zipkin-go's "backlog too long, disposing N spans"
// and passes every line on to the log.
type backlogWatcher struct {
	log    *report.Logger
	counts *core.SpanCounts
}

func (w backlogWatcher) Write(p []byte) (int, error) {
	var n uint64
	if i := bytes.Index(p, []byte("disposing ")); i >= 0 {
		if _, err := fmt.Sscanf(string(p[i:]), "disposing %d spans", &n); err == nil {
			w.counts.Dropped(core.DropBacklog, n)
		}
	}
	return w.log.Write(p)
}
