package otlp

import (
	"errors"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// Response is what a collector's ExportTraceServiceResponse says: the
// partial success it holds, if any.
type Response struct {
	// RejectedSpans is partial_success.rejected_spans: the spans the
	// collector rejected, 0 when it took them all.
	RejectedSpans int64
	// ErrorMessage is partial_success.error_message: why.
	ErrorMessage string
}

// errMalformed is the error of an answer that is not an
// ExportTraceServiceResponse in protobuf's wire format.
var errMalformed = errors.New("otel: the collector's answer is not an ExportTraceServiceResponse in protobuf's wire format")

// DecodeResponse decodes an ExportTraceServiceResponse in protobuf's wire
// format, as proto.Unmarshal decodes it into the generated type
// (go.opentelemetry.io/proto/otlp/collector/trace/v1), whose package this
// one does not import: it links gRPC and grpc-gateway, for the two fields
// read here. Like proto.Unmarshal, it skips unknown fields and known ones of
// another wire type, merges a repeated partial_success, keeps the last value
// of a repeated scalar, and fails on malformed input and on an error_message
// that is not UTF-8 (a proto3 string). It allocates only the message's
// text. A test and a fuzz target in the otlpgrpc module hold it to
// proto.Unmarshal.
func DecodeResponse(b []byte) (Response, error) {
	var r Response
	err := decodeFields(b, func(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
		if num != 1 || typ != protowire.BytesType { // partial_success
			return 0, nil
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, errMalformed
		}
		return n, decodeFields(v, r.partialSuccessField)
	})
	if err != nil {
		return Response{}, err
	}
	return r, nil
}

// partialSuccessField decodes a field of an ExportTracePartialSuccess.
func (r *Response) partialSuccessField(num protowire.Number, typ protowire.Type, b []byte) (int, error) {
	switch {
	case num == 1 && typ == protowire.VarintType: // rejected_spans
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, errMalformed
		}
		r.RejectedSpans = int64(v)
		return n, nil
	case num == 2 && typ == protowire.BytesType: // error_message
		v, n := protowire.ConsumeBytes(b)
		if n < 0 || !utf8.Valid(v) {
			return 0, errMalformed
		}
		r.ErrorMessage = string(v)
		return n, nil
	}
	return 0, nil
}

// decodeFields calls field with each field of the message b holds: its
// number, its wire type, and the bytes from its value on. field returns
// how many bytes the value took, or 0 for a field it does not know, which
// decodeFields skips. It fails on a malformed tag or value, as
// proto.Unmarshal does: a field number out of range, an end of group
// without its start, a value cut short.
func decodeFields(b []byte, field func(protowire.Number, protowire.Type, []byte) (int, error)) error {
	for len(b) > 0 {
		tag, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
		if num := tag >> 3; num < uint64(protowire.MinValidNumber) || num > uint64(protowire.MaxValidNumber) {
			return errMalformed
		}
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		if typ == protowire.EndGroupType {
			return errMalformed
		}
		n, err := field(num, typ, b)
		if err != nil {
			return err
		}
		if n == 0 {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return errMalformed
			}
		}
		b = b[n:]
	}
	return nil
}
