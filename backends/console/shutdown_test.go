package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/console"
	"github.com/traceplug/traceplug/core"
)

// TestShutdownBeforeServerReportsOpenSpans: Shutdown with a request in
// flight (the tracer shut down before the server) says a span is still
// open, and a later Close says it finished after shutdown and was lost:
// neither returns nil.
func TestShutdownBeforeServerReportsOpenSpans(t *testing.T) {
	ct, err := console.NewWriter(io.Discard, backend.Config{ServiceName: "svc", SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.Wrap(ct, core.WithTraceAll(true))
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})))
	defer srv.Close()
	done := make(chan error)
	go func() {
		resp, err := http.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	err = tr.Shutdown(context.Background())
	if !errors.Is(err, core.ErrSpansLost) || !strings.Contains(fmt.Sprint(err), "1 span still open at shutdown") {
		t.Errorf("Shutdown with a request in flight: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Close() // the handler has returned: its span finished
	err = tr.Close()
	if !errors.Is(err, core.ErrSpansLost) || !strings.Contains(fmt.Sprint(err), "1 span finished after shutdown") {
		t.Errorf("Close after the late span: %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Errorf("a third Close reported again: %v", err)
	}
}
