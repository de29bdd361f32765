package backend

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func TestAbortableFailsInFlightAndLaterRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(release)
	ctx, abort := context.WithCancel(context.Background())
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: Abortable(ctx, base)}

	resp, err := client.Get(srv.URL + "/fine")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Fatalf("body %q", body)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := client.Get(srv.URL + "/hang")
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	abort()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("the hanging request succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("aborting did not end the in-flight request")
	}
	if _, err := client.Get(srv.URL + "/fine"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a request after abort: %v, want context.Canceled", err)
	}
}

func TestAbortableKeepsTheRequestsOwnTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	base := &http.Transport{}
	defer base.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if _, err := Abortable(context.Background(), base).RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the request's own deadline", err)
	}
}

func TestLoggerHoldsBackAndCounts(t *testing.T) {
	var buf bytes.Buffer
	log.SetOutput(&buf)
	defer log.SetOutput(os.Stderr)
	l := NewLogger("test: ")
	for i := 0; i < 5; i++ {
		l.Printf("collector down %d", i)
	}
	l.last = time.Now().Add(-time.Minute)
	_, _ = l.Write([]byte("collector still down\n"))
	out := buf.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "test: collector down 0") || !strings.Contains(out, "collector still down (and 4 more errors)") {
		t.Fatalf("log:\n%s", out)
	}
}

func TestLoggerToSlog(t *testing.T) {
	var buf bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	l := NewLoggerTo(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime})), "traceplug/test: ")
	for i := 0; i < 3; i++ {
		l.Printf("collector down %d", i)
	}
	l.last = time.Now().Add(-time.Minute)
	_, _ = l.Write([]byte("collector still down\n"))
	want := `level=ERROR msg="collector down 0" component=traceplug/test
level=ERROR msg="collector still down" component=traceplug/test held_back=2
`
	if buf.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}
