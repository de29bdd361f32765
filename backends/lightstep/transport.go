package lightstep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gogo/protobuf/proto"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/redact"
)

// The HTTP report endpoint, as lightstep-tracer-go's own HTTP client uses it.
const (
	reportPath        = "/api/v2/reports"
	protoContentType  = "application/octet-stream"
	accessTokenHeader = "Lightstep-Access-Token"
)

// sender is the transport lightstep-tracer-go reports through (as its
// CustomCollector): the same wire formats as its own clients, but ended by
// Shutdown, which its own clients cannot be.
type sender interface {
	lightstep.Collector
	// abort fails the reports under way and every later one at once.
	abort()
	// close waits for the reports under way and closes the connection.
	close()
}

// inflight lets Shutdown wait for the reports under way: each holds a read
// lock while it is sent.
type inflight struct{ mu sync.RWMutex }

func (f *inflight) begin() func() { f.mu.RLock(); return f.mu.RUnlock }

// wait returns once no report is under way.
func (f *inflight) wait() { f.mu.Lock(); f.mu.Unlock() } //nolint:staticcheck // an empty critical section is the point

// httpSender POSTs protobuf reports.
type httpSender struct {
	inflight
	url   string
	token string
	conn  *backend.Conn
}

func newHTTPSender(e lightstep.Endpoint, token string) *httpSender {
	scheme := "https"
	if e.Plaintext {
		scheme = "http"
	}
	return &httpSender{
		url:   scheme + "://" + e.Host + ":" + strconv.Itoa(e.Port) + reportPath,
		token: token,
		conn:  backend.NewConn(),
	}
}

func (s *httpSender) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	defer s.begin()()
	body, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", protoContentType)
	hr.Header.Set("Accept", protoContentType)
	hr.Header.Set(accessTokenHeader, s.token)
	resp, err := s.conn.Client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		answer := resp.Status
		if text := strings.TrimSpace(string(data)); text != "" {
			if len(text) > 200 {
				text = text[:200] + "..."
			}
			answer += ": " + text
		}
		return nil, &rejectedError{answer: answer}
	}
	out := &collectorpb.ReportResponse{}
	if err := proto.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("decoding the collector's response: %w", err)
	}
	return out, nil
}

func (s *httpSender) abort() { s.conn.Abort() }

func (s *httpSender) close() {
	s.wait()
	s.conn.Abort()
}

// grpcSender calls the collector service.
type grpcSender struct {
	inflight
	conn    *grpc.ClientConn
	client  collectorpb.CollectorServiceClient
	aborted context.Context
	cancel  context.CancelFunc
}

func newGRPCSender(e lightstep.Endpoint) (*grpcSender, error) {
	creds := credentials.NewClientTLSFromCert(nil, "")
	if e.Plaintext {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(e.Host+":"+strconv.Itoa(e.Port), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	aborted, cancel := context.WithCancel(context.Background())
	return &grpcSender{conn: conn, client: collectorpb.NewCollectorServiceClient(conn), aborted: aborted, cancel: cancel}, nil
}

func (s *grpcSender) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	defer s.begin()()
	ctx, release := backend.WithAbort(ctx, s.aborted)
	defer release()
	return s.client.Report(ctx, req)
}

func (s *grpcSender) abort() { s.cancel() }

func (s *grpcSender) close() {
	s.wait()
	s.cancel()
	_ = s.conn.Close()
}

// rejectedError is the collector's answer refusing a report: its spans
// reached the collector, and are not sent again. Its text is the answer: the
// status and the start of the body.
type rejectedError struct{ answer string }

func (e *rejectedError) Error() string { return e.answer }

// cause is err as the log gives it, after "sending N spans to COLLECTOR: ",
// in the words of the other backends: the collector's refusal, or why the
// report did not reach it, without the URL again or gRPC's framing.
func cause(err error) string {
	if rejected(err) {
		if st, ok := status.FromError(err); ok {
			return "the collector refused the spans: " + st.Code().String() + ": " + st.Message()
		}
		return "the collector refused the spans: " + err.Error()
	}
	if st, ok := status.FromError(err); ok {
		return st.Code().String() + ": " + st.Message()
	}
	return redact.URLCause(err).Error()
}

// rejected reports whether err is the collector's answer refusing a report
// (an HTTP status other than 200, or a gRPC status other than those of a
// call that never reached it or got no answer in time), as every backend
// counts it: "rejected by collector". A report refused as too large is
// [tooLarge] instead.
func rejected(err error) bool {
	var re *rejectedError
	if errors.As(err, &re) {
		return true
	}
	st, ok := status.FromError(err)
	if !ok || tooLarge(err) {
		return false
	}
	switch st.Code() {
	case codes.OK, codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return false
	}
	return true
}

// tooLarge reports whether err is gRPC's refusal of a message over its size
// limit (the server's receive limit, 4 MiB unless raised, or the client's
// send limit): ResourceExhausted, which also means a quota, so the message
// is read ("grpc: received message larger than max (N vs. M)").
func tooLarge(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.ResourceExhausted && strings.Contains(st.Message(), "larger than max")
}
