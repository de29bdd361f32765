package otlp

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestDecodeResponseGolden: the answers in testdata, written by
// proto.Marshal from the generated ExportTraceServiceResponse
// (go.opentelemetry.io/proto/otlp v1.11.1, deterministic), decode to what
// they say. otlpgrpc's tests hold the decoder to proto.Unmarshal on these
// and on any input (FuzzDecodeResponse), where that package may be linked.
func TestDecodeResponseGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Response
	}{
		{"empty.binpb", Response{}},
		{"empty_partial.binpb", Response{}},
		{"partial_success.binpb", Response{RejectedSpans: 3, ErrorMessage: "too many attributes"}},
		{"rejected_only.binpb", Response{RejectedSpans: 512}},
		{"warning_only.binpb", Response{ErrorMessage: "deprecated attribute names"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeResponse(data)
			if err != nil || got != tc.want {
				t.Errorf("DecodeResponse = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestDecodeResponseWire: what proto.Unmarshal does with unknown fields,
// known fields of another wire type, repeated fields and malformed input,
// the decoder does.
func TestDecodeResponseWire(t *testing.T) {
	tag := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	ps := func(fields ...[]byte) []byte { // a partial_success field holding fields
		var inner []byte
		for _, f := range fields {
			inner = append(inner, f...)
		}
		return protowire.AppendBytes(tag(nil, 1, protowire.BytesType), inner)
	}
	rejected := func(n uint64) []byte { return protowire.AppendVarint(tag(nil, 1, protowire.VarintType), n) }
	message := func(s string) []byte { return protowire.AppendString(tag(nil, 2, protowire.BytesType), s) }
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want Response
		bad  bool
	}{
		{name: "unknown fields skipped", data: cat(protowire.AppendString(tag(nil, 7, protowire.BytesType), "x"),
			ps(protowire.AppendFixed64(tag(nil, 9, protowire.Fixed64Type), 1), rejected(2), message("m")),
			protowire.AppendVarint(tag(nil, 1<<20, protowire.VarintType), 5)), want: Response{RejectedSpans: 2, ErrorMessage: "m"}},
		{name: "unknown group skipped", data: cat(tag(nil, 3, protowire.StartGroupType), rejected(9), tag(nil, 3, protowire.EndGroupType), ps(rejected(1))),
			want: Response{RejectedSpans: 1}},
		{name: "partial_success of another wire type is unknown", data: cat(rejected(4)), want: Response{}},
		{name: "fields of another wire type are unknown", data: ps(protowire.AppendString(tag(nil, 1, protowire.BytesType), "no"), protowire.AppendVarint(tag(nil, 2, protowire.VarintType), 1)),
			want: Response{}},
		{name: "repeated partial_success merged", data: cat(ps(rejected(5), message("first")), ps(message("second"))),
			want: Response{RejectedSpans: 5, ErrorMessage: "second"}},
		{name: "last scalar wins", data: ps(rejected(1), rejected(2), message("a"), message("b")), want: Response{RejectedSpans: 2, ErrorMessage: "b"}},
		{name: "negative rejected_spans", data: ps(rejected(1<<64 - 1)), want: Response{RejectedSpans: -1}},
		{name: "truncated tag", data: []byte{0x80}, bad: true},
		{name: "truncated partial_success", data: ps(rejected(3))[:3], bad: true},
		{name: "truncated varint", data: ps([]byte{0x08, 0xff}), bad: true},
		{name: "varint over 64 bits", data: ps(append([]byte{0x08}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)), bad: true},
		{name: "field number 0", data: []byte{0x02, 0x00}, bad: true},
		{name: "field number over the maximum", data: protowire.AppendVarint(protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3), 0), bad: true},
		{name: "end group without start", data: tag(nil, 4, protowire.EndGroupType), bad: true},
		{name: "end group in partial_success", data: ps(tag(nil, 4, protowire.EndGroupType)), bad: true},
		{name: "unterminated group", data: tag(nil, 3, protowire.StartGroupType), bad: true},
		{name: "error_message not UTF-8", data: ps(rejected(1), message("bad \xff")), bad: true},
		{name: "reserved wire type", data: []byte{0x0e}, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeResponse(tc.data)
			if (err != nil) != tc.bad || got != tc.want {
				t.Errorf("DecodeResponse(%x) = %+v, %v; want %+v, error %v", tc.data, got, err, tc.want, tc.bad)
			}
		})
	}
}

// TestDecodeResponseAllocs: the decoder allocates the error message's text,
// and nothing else.
func TestDecodeResponseAllocs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "partial_success.binpb"))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeResponse(data) }); n > 1 {
		t.Errorf("%v allocations a decoding, want 1 (the message)", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = DecodeResponse(nil) }); n != 0 {
		t.Errorf("%v allocations decoding an empty answer, want 0", n)
	}
}
