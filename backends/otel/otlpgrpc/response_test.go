package otlpgrpc_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/traceplug/traceplug/backends/otel/internal/otlp"
)

// The exporters read a collector's answer with otlp.DecodeResponse, written
// with protowire so that the otel module does not import the collector's
// generated package, which links gRPC and grpc-gateway. This module links
// them anyway: here the decoder is held to proto.Unmarshal into the
// generated ExportTraceServiceResponse.

// checkDecode fails t unless otlp.DecodeResponse and proto.Unmarshal agree
// on data: both fail, or both succeed with the same partial success.
func checkDecode(t *testing.T, data []byte) {
	t.Helper()
	got, err := otlp.DecodeResponse(data)
	var want coltracepb.ExportTraceServiceResponse
	wantErr := proto.Unmarshal(data, &want)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("DecodeResponse(%x): error %v, proto.Unmarshal's %v", data, err, wantErr)
	}
	if err != nil {
		return
	}
	ps := want.GetPartialSuccess()
	if got.RejectedSpans != ps.GetRejectedSpans() || got.ErrorMessage != ps.GetErrorMessage() {
		t.Fatalf("DecodeResponse(%x) = %+v, proto.Unmarshal: rejected %d, message %q", data, got, ps.GetRejectedSpans(), ps.GetErrorMessage())
	}
}

// responseSeeds are answers to hold the decoder to proto.Unmarshal on:
// what the generated type marshals, and the wire format's corners.
func responseSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, m := range []*coltracepb.ExportTraceServiceResponse{
		{},
		{PartialSuccess: &coltracepb.ExportTracePartialSuccess{}},
		{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 3, ErrorMessage: "too many attributes"}},
		{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: -7}},
		{PartialSuccess: &coltracepb.ExportTracePartialSuccess{ErrorMessage: "ünïcode ✓"}},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	tag := protowire.AppendTag
	ps := func(inner ...byte) []byte { return protowire.AppendBytes(tag(nil, 1, protowire.BytesType), inner) }
	seeds = append(seeds,
		ps(tag(nil, 2, protowire.BytesType)...),                                 // error_message cut short
		ps(protowire.AppendString(tag(nil, 2, protowire.BytesType), "\xff")...), // not UTF-8
		ps(protowire.AppendString(tag(nil, 1, protowire.BytesType), "x")...),    // rejected_spans as bytes
		append(ps(protowire.AppendVarint(tag(nil, 1, protowire.VarintType), 5)...), ps(protowire.AppendString(tag(nil, 2, protowire.BytesType), "b")...)...),
		protowire.AppendVarint(tag(nil, 1, protowire.VarintType), 1), // partial_success as a varint
		append(tag(nil, 5, protowire.StartGroupType), tag(nil, 5, protowire.EndGroupType)...),
		append(tag(nil, 5, protowire.StartGroupType), tag(nil, 6, protowire.EndGroupType)...),
		tag(nil, 5, protowire.EndGroupType),
		[]byte{0x00}, []byte{0x0e, 0x01}, []byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}, []byte{0x80, 0x80, 0x80, 0x80, 0x10, 0x00},
		bytes.Repeat([]byte{0xff}, 11),
	)
	return seeds
}

// TestDecodeResponse: on the seeds, and on random bytes, the decoder and
// proto.Unmarshal agree.
func TestDecodeResponse(t *testing.T) {
	for _, data := range responseSeeds(t) {
		checkDecode(t, data)
	}
	r := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // deterministic inputs
	for range 20000 {
		data := make([]byte, r.IntN(24))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		if len(data) > 0 && r.IntN(2) == 0 {
			data[0] = 0x0a // a partial_success, more often than chance
		}
		checkDecode(t, data)
	}
}

// FuzzDecodeResponse: for any answer, the decoder and proto.Unmarshal into
// the generated ExportTraceServiceResponse agree.
func FuzzDecodeResponse(f *testing.F) {
	for _, data := range responseSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data) })
}
