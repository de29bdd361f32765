package lightstep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gogo/protobuf/proto"
	"github.com/lightstep/lightstep-tracer-common/golang/gogo/collectorpb"
	lightstep "github.com/lightstep/lightstep-tracer-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/traceplug/traceplug/internal/report"
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
	url       string
	token     string
	transport *http.Transport
	client    *http.Client
}

func newHTTPSender(e lightstep.Endpoint, token string, abort context.Context) *httpSender {
	scheme := "https"
	if e.Plaintext {
		scheme = "http"
	}
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}
	return &httpSender{
		url:       scheme + "://" + e.Host + ":" + strconv.Itoa(e.Port) + reportPath,
		token:     token,
		transport: t,
		client:    &http.Client{Transport: report.Abortable(abort, t)},
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
	resp, err := s.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("collector answered %s", resp.Status)
	}
	out := &collectorpb.ReportResponse{}
	if err := proto.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("decoding the collector's response: %w", err)
	}
	return out, nil
}

func (s *httpSender) close() {
	s.wait()
	s.transport.CloseIdleConnections()
}

// grpcSender calls the collector service.
type grpcSender struct {
	inflight
	conn   *grpc.ClientConn
	client collectorpb.CollectorServiceClient
	abort  context.Context
}

func newGRPCSender(e lightstep.Endpoint, abort context.Context) (*grpcSender, error) {
	creds := credentials.NewClientTLSFromCert(nil, "")
	if e.Plaintext {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(e.Host+":"+strconv.Itoa(e.Port), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	return &grpcSender{conn: conn, client: collectorpb.NewCollectorServiceClient(conn), abort: abort}, nil
}

func (s *grpcSender) Report(ctx context.Context, req *collectorpb.ReportRequest) (*collectorpb.ReportResponse, error) {
	defer s.begin()()
	ctx, release := report.WithAbort(ctx, s.abort)
	defer release()
	return s.client.Report(ctx, req)
}

func (s *grpcSender) close() {
	s.wait()
	_ = s.conn.Close()
}
