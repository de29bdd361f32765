package grpcconformance

import (
	"context"
	"errors"
	"io"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

// baggageKey is the baggage item the properties send across services.
const baggageKey = "conformance-user"

// Payload bodies that make the service misbehave.
const (
	panicBody = "panic"
	blockBody = "block" // wait for the call's end (cancellation, deadline)
)

// service is gRPC's test service as the properties need it:
//   - UnaryCall answers with the status in ResponseStatus (OK if none),
//     panics for a panicBody payload, and otherwise reports in Username the
//     baggage item baggageKey of the span in its context, after calling
//     next, if set, with its context (a service calling another).
//   - StreamingOutputCall sends one message per ResponseParameters, then
//     the status in ResponseStatus.
//   - StreamingInputCall counts the messages until the client half-closes.
//   - FullDuplexCall echoes each message until the client half-closes,
//     ends with the status of a message's ResponseStatus, or, for a
//     blockBody payload, waits for the call to be cancelled or to pass its
//     deadline.
type service struct {
	testgrpc.UnimplementedTestServiceServer
	next func(ctx context.Context) error
	// recovered receives what a recovering interceptor, outermost, caught.
	recovered chan any
}

func newService() *service { return &service{recovered: make(chan any, 16)} }

// options are the server options the service needs first, outermost: an
// interceptor that turns a handler's panic into an Internal status, so that
// the server survives the panic property, and says what it caught.
func (s *service) options() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if v := recover(); v != nil {
				s.recovered <- v
				err = status.Error(codes.Internal, "recovered")
			}
		}()
		return h(ctx, req)
	})}
}

func (s *service) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func (s *service) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if req.GetPayload() != nil && string(req.GetPayload().GetBody()) == panicBody {
		panic("conformance boom")
	}
	if st := req.GetResponseStatus(); st != nil && st.GetCode() != 0 {
		return nil, status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	if s.next != nil {
		if err := s.next(ctx); err != nil {
			return nil, err
		}
	}
	resp := &testgrpc.SimpleResponse{Payload: req.GetPayload()}
	if span := opentracing.SpanFromContext(ctx); span != nil {
		resp.Username = span.BaggageItem(baggageKey)
	} else {
		resp.Username = "no span in the handler's context"
	}
	return resp, nil
}

func (s *service) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, stream testgrpc.TestService_StreamingOutputCallServer) error {
	for range req.GetResponseParameters() {
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
	if st := req.GetResponseStatus(); st != nil && st.GetCode() != 0 {
		return status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	return nil
}

func (s *service) StreamingInputCall(stream testgrpc.TestService_StreamingInputCallServer) error {
	var n int32
	for {
		_, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testgrpc.StreamingInputCallResponse{AggregatedPayloadSize: n})
		}
		if err != nil {
			return err
		}
		n++
	}
}

func (s *service) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctxErr := stream.Context().Err(); ctxErr != nil {
				return status.FromContextError(ctxErr).Err()
			}
			return err
		}
		if st := req.GetResponseStatus(); st != nil && st.GetCode() != 0 {
			return status.Error(codes.Code(st.GetCode()), st.GetMessage())
		}
		if req.GetPayload() != nil && string(req.GetPayload().GetBody()) == blockBody {
			<-stream.Context().Done()
			return status.FromContextError(stream.Context().Err()).Err()
		}
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{Payload: req.GetPayload()}); err != nil {
			return err
		}
	}
}

// isCode reports whether err carries code.
func isCode(err error, code codes.Code) bool {
	if err == nil {
		return code == codes.OK
	}
	var se interface{ GRPCStatus() *status.Status }
	return errors.As(err, &se) && se.GRPCStatus().Code() == code
}
