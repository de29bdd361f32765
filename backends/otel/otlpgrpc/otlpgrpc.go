package otlpgrpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
)

func init() { otlp.RegisterGRPC(newClient) }

// exportMethod is the OTLP TraceService's Export method
// (coltracepb.TraceService_Export_FullMethodName, whose package this one
// does not import: it links grpc-gateway).
const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// maxRequest is the largest message a gRPC server receives unless told
// otherwise: grpc-go's default, and the OpenTelemetry Collector's
// (max_recv_msg_size_mib: 4). A larger request is refused whole, with
// ResourceExhausted. (OTLP/HTTP has no such common limit: a 413 answer says
// so.)
const maxRequest = 4 << 20

// client calls the OTLP TraceService.
type client struct {
	conn  *grpc.ClientConn
	md    metadata.MD
	call  []grpc.CallOption
	scrub otlp.Scrubber
	cert  *otlp.ClientCert // nil for a plaintext endpoint
}

var _ otlp.Client = (*client)(nil)

// newClient is the otel backend's constructor of OTLP/gRPC clients. It
// dials nothing: grpc.NewClient connects at the first call.
func newClient(s *otlp.Settings) (otlp.Client, error) {
	creds := insecure.NewCredentials()
	var cert *otlp.ClientCert
	if s.TLS {
		var conf *tls.Config
		conf, cert = otlp.NewTLSConfig(s)
		creds = credentials.NewTLS(conf)
	}
	conn, err := grpc.NewClient(s.URL.Host, grpc.WithTransportCredentials(creds), grpc.WithUserAgent(otlp.UserAgent))
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, md: metadata.New(s.Headers), call: []grpc.CallOption{grpc.ForceCodecV2(codec{}), grpc.StaticMethod()},
		scrub: otlp.NewScrubber(s.Headers), cert: cert}
	if s.Gzip {
		c.call = append(c.call, grpc.UseCompressor(grpcgzip.Name))
	}
	return c, nil
}

// Stop implements [otlp.Client]: it closes the connection.
func (c *client) Stop() { _ = c.conn.Close() }

// MaxRequest implements [otlp.Client]: gRPC's default limit.
func (c *client) MaxRequest() int { return maxRequest }

// Upload implements [otlp.Client]: it calls Export, trying again within
// ctx's deadline while the status is worth another try.
func (c *client) Upload(ctx context.Context, body []byte) error {
	ctx = metadata.NewOutgoingContext(ctx, c.md)
	return otlp.WithRetry(ctx, func(ctx context.Context) error {
		var resp otlp.Response
		err := c.conn.Invoke(ctx, exportMethod, encodedRequest(body), &resp, c.call...)
		if err == nil {
			if resp.RejectedSpans > 0 {
				return &otlp.PartialError{Rejected: resp.RejectedSpans, Msg: c.scrub.Scrub(resp.ErrorMessage)}
			}
			return nil
		}
		st := status.Convert(err)
		msg := c.scrub.Scrub(st.Code().String() + ": " + st.Message())
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
			msg = c.cert.Explain(msg)
			// Not delivered: no collector, or no answer in time.
			if st.Code() == codes.Unavailable && (otlp.RefusedMessage(st.Message()) || otlp.TLSFailureMessage(st.Message())) {
				return errors.New(msg) // see otlp.Refused and otlp.TLSFailure
			}
			return &otlp.RetryableError{Err: errors.New(msg)}
		case codes.Aborted, codes.OutOfRange, codes.DataLoss:
			return &otlp.RetryableError{Err: &otlp.RejectedError{Msg: msg}}
		case codes.ResourceExhausted:
			if strings.Contains(st.Message(), "larger than max") {
				return &otlp.RejectedError{TooLarge: true, Msg: msg}
			}
			return &otlp.RetryableError{Err: &otlp.RejectedError{Msg: msg}}
		}
		return &otlp.RejectedError{Msg: msg}
	})
}

// encodedRequest is an ExportTraceServiceRequest in protobuf's wire format.
type encodedRequest []byte

// codec is the gRPC codec of an Export call: the request goes as it is
// (encoded by the backend), and the answer is decoded by
// [otlp.DecodeResponse], which does what proto.Unmarshal does into the
// generated ExportTraceServiceResponse. It has no name, so that the call's
// content type is plain application/grpc, as the OTLP exporter's (which
// means protobuf), not application/grpc+NAME.
type codec struct{}

var _ encoding.CodecV2 = codec{}

// Marshal implements [encoding.CodecV2]: v is an encodedRequest.
func (codec) Marshal(v any) (mem.BufferSlice, error) {
	req, ok := v.(encodedRequest)
	if !ok {
		return nil, fmt.Errorf("otlpgrpc: the codec sends an encoded request, not a %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(req)}, nil
}

// Unmarshal implements [encoding.CodecV2]: v is an *otlp.Response.
func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	resp, ok := v.(*otlp.Response)
	if !ok {
		return fmt.Errorf("otlpgrpc: the codec reads an ExportTraceServiceResponse, not a %T", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	r, err := otlp.DecodeResponse(buf.ReadOnlyData())
	if err != nil {
		return err
	}
	*resp = r
	return nil
}

// Name implements [encoding.CodecV2]: no name (see codec).
func (codec) Name() string { return "" }
