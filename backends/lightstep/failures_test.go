package lightstep

import (
	"context"
	"errors"
	"maps"
	"syscall"
	"testing"

	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backend"
)

// failingSender fails every report with err.
type failingSender struct {
	sender
	err error
}

func (s failingSender) Report(context.Context, *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	return nil, s.err
}

// TestReportFailuresCountAsEveryBackendCounts (issue 28): a report the
// collector answers with an error is dropped as rejected by collector, at
// once, as zipkin, jaeger and otel drop it (it used to go back to
// lightstep-tracer-go, refused again at every flush until Shutdown counted
// it as unsent at shutdown); one that reaches no collector goes back to be
// sent again until Shutdown has begun, then is dropped as send failed, or,
// once Shutdown's deadline has ended, as unsent at shutdown.
func TestReportFailuresCountAsEveryBackendCounts(t *testing.T) {
	refused := &refusedConn{errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		err      error
		shutdown context.Context // nil: Shutdown has not begun
		retried  bool            // the error goes back to lightstep-tracer-go
		want     map[string]uint64
	}{
		{"HTTP 500", &rejectedError{answer: "500 Internal Server Error"}, nil, false, map[string]uint64{backend.DropRejected: 2}},
		{"gRPC Internal", status.Error(codes.Internal, "collector failure"), nil, false, map[string]uint64{backend.DropRejected: 2}},
		{"gRPC InvalidArgument at Shutdown", status.Error(codes.InvalidArgument, "no"), context.Background(), false, map[string]uint64{backend.DropRejected: 2}},
		{"refused", refused, nil, true, map[string]uint64{}},
		{"gRPC Unavailable", status.Error(codes.Unavailable, "connection refused"), nil, true, map[string]uint64{}},
		{"refused at Shutdown", refused, context.Background(), false, map[string]uint64{backend.DropSend: 2}},
		{"gRPC DeadlineExceeded at Shutdown", status.Error(codes.DeadlineExceeded, "late"), context.Background(), false, map[string]uint64{backend.DropSend: 2}},
		{"Shutdown's deadline", status.Error(codes.Canceled, "context canceled"), ended, false, map[string]uint64{backend.DropShutdown: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			counts := &backend.SpanCounts{}
			_ = counts.Handed(2)
			var c closing
			if tc.shutdown != nil {
				c.begin(tc.shutdown)
			}
			s := countingSender{sender: failingSender{err: tc.err}, counts: counts, maxBytes: 1 << 20, closing: &c}
			_, err := s.Report(context.Background(), spansOf(2, -1, 0))
			if retried := err != nil; retried != tc.retried {
				t.Errorf("Report = %v: want the error given back to lightstep-tracer-go: %v", err, tc.retried)
			}
			st := counts.BackendStats()
			delete(st.Dropped, backend.DropQueueFull) // spansOf's metrics
			if !maps.Equal(st.Dropped, tc.want) || st.Reported != 0 {
				t.Errorf("dropped %v, reported %d: want dropped %v", st.Dropped, st.Reported, tc.want)
			}
		})
	}
}

// refusedConn stands for the HTTP client's error of a refused connection.
type refusedConn struct{ err error }

func (e *refusedConn) Error() string {
	return "Post \"http://127.0.0.1:1/api/v2/reports\": " + e.err.Error()
}
func (e *refusedConn) Unwrap() error { return syscall.ECONNREFUSED }
