package transporttest

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Recorder is an OTLP collector's receiving end, over HTTP (ServeHTTP) and,
// through [Recorder.Record], any transport: it decodes each request and
// keeps its spans' names, the common name of the client's certificate, and
// the URL's path and query. It is safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	spans    []string
	peers    []string
	requests []string // path?query, over HTTP
}

// Record keeps the spans of a request, received over a connection in TLS
// state (nil: plaintext).
func (r *Recorder) Record(rss []*tracepb.ResourceSpans, state *tls.ConnectionState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, s.GetName())
			}
		}
	}
	cn := ""
	if state != nil && len(state.PeerCertificates) > 0 {
		cn = state.PeerCertificates[0].Subject.CommonName
	}
	r.peers = append(r.peers, cn)
}

// ServeHTTP receives an OTLP/HTTP request.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, req.URL.RequestURI())
	r.mu.Unlock()
	body, err := io.ReadAll(req.Body)
	// TracesData is ExportTraceServiceRequest's twin: the same message on
	// the wire, in a package that does not link gRPC.
	m := &tracepb.TracesData{}
	if err == nil {
		err = proto.Unmarshal(body, m)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Record(m.GetResourceSpans(), req.TLS)
	w.Header().Set("Content-Type", "application/x-protobuf") // an empty ExportTraceServiceResponse
}

// Received returns the names of the spans decoded so far, and the client
// certificates' common names.
func (r *Recorder) Received() (spans, peers []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.spans...), append([]string(nil), r.peers...)
}

// URIs returns the path and query of each request received over HTTP.
func (r *Recorder) URIs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// StartHTTPS serves rec over TLS with conf on 127.0.0.1 until the test
// ends, and returns its address.
func StartHTTPS(t *testing.T, rec *Recorder, conf *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(rec)
	srv.TLS = conf
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes the tests cause
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}
