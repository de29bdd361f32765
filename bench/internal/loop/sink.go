package loop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Sink accepts spans in every wire format the benchmarked tracers send,
// counts them, and throws them away:
//
//   - UDP: jaeger agent datagrams (compact-thrift emitBatch calls);
//   - HTTP POST /api/traces: jaeger collector batches (binary thrift);
//   - HTTP POST /api/v2/spans: zipkin v2 JSON;
//   - HTTP POST /v1/traces: OTLP over HTTP/protobuf.
//
// GET /stats answers "spans N packets N bytes N errors N". Counting walks each
// payload's structure only as far as its span lists and decodes no span, so
// that the sink, which shares a core with the load generator, stays cheap. It
// is safe for concurrent use.
type Sink struct {
	udp  *net.UDPConn
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	spans, packets, bytes, errs atomic.Uint64
}

// NewSink starts a sink on 127.0.0.1, on random ports.
func NewSink() (*Sink, error) {
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	_ = udp.SetReadBuffer(4 << 20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		udp.Close()
		return nil, err
	}
	s := &Sink{udp: udp, ln: ln, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/traces", s.count(jaegerBinary, http.StatusAccepted, ""))
	mux.HandleFunc("POST /api/v2/spans", s.count(zipkinJSON, http.StatusAccepted, ""))
	mux.HandleFunc("POST /v1/traces", s.count(otlp, http.StatusOK, "application/x-protobuf"))
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "spans %d packets %d bytes %d errors %d\n", s.spans.Load(), s.packets.Load(), s.bytes.Load(), s.errs.Load())
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	go s.readUDP()
	return s, nil
}

// Addrs are the sink's UDP and HTTP addresses.
func (s *Sink) Addrs() Addrs {
	return Addrs{UDP: s.udp.LocalAddr().String(), HTTP: s.ln.Addr().String()}
}

// Spans returns how many spans the sink has counted, and how many payloads
// it could not read.
func (s *Sink) Spans() (spans, errs uint64) { return s.spans.Load(), s.errs.Load() }

// Close stops the sink.
func (s *Sink) Close() {
	_ = s.srv.Close()
	if s.udp.Close() == nil {
		<-s.done
	}
}

func (s *Sink) readUDP() {
	defer close(s.done)
	buf := make([]byte, 65536)
	for {
		n, _, err := s.udp.ReadFromUDP(buf)
		if err != nil {
			return // closed
		}
		s.tally(jaegerCompact, buf[:n])
	}
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// count serves one kind of POST: it reads the body, counts its spans, and
// answers status (an empty body, of contentType if set).
func (s *Sink) count(spansIn func([]byte) (int, error), status int, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		buf := bufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err := io.Copy(buf, r.Body)
		if err == nil {
			s.tally(spansIn, buf.Bytes())
		} else {
			s.errs.Add(1)
		}
		bufs.Put(buf)
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
	}
}

func (s *Sink) tally(spansIn func([]byte) (int, error), payload []byte) {
	s.packets.Add(1)
	s.bytes.Add(uint64(len(payload)))
	n, err := spansIn(payload)
	if err != nil {
		s.errs.Add(1)
		return
	}
	s.spans.Add(uint64(n))
}

// zipkinJSON counts the spans of a zipkin v2 JSON list: each has exactly one
// traceId.
func zipkinJSON(b []byte) (int, error) {
	if len(b) == 0 || b[0] != '[' {
		return 0, errors.New("not a JSON list")
	}
	return bytes.Count(b, []byte(`"traceId"`)), nil
}

// otlp counts the spans of an ExportTraceServiceRequest: resource_spans (1)
// > scope_spans (2) > spans (2).
func otlp(b []byte) (int, error) {
	n := 0
	err := eachField(b, 1, func(rs []byte) error {
		return eachField(rs, 2, func(ss []byte) error {
			return eachField(ss, 2, func([]byte) error { n++; return nil })
		})
	})
	return n, err
}

// eachField calls f with the contents of each length-delimited field num of
// the protobuf message b.
func eachField(b []byte, num protowire.Number, f func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return protowire.ParseError(l)
			}
			if err := f(v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		if l = protowire.ConsumeFieldValue(n, typ, b); l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
	}
	return nil
}

var errThrift = errors.New("not a jaeger batch")

// jaegerCompact counts the spans of an agent datagram: an emitBatch call
// whose first argument is a Batch {1: Process, 2: list<Span>, ...}, in
// thrift's compact protocol.
func jaegerCompact(b []byte) (int, error) {
	r := compact{b: b}
	if r.byte() != 0x82 {
		return 0, errThrift
	}
	r.byte()      // version and message type
	r.varint()    // sequence id
	r.binary()    // method name
	r.byte()      // argument 1, a struct: the Batch
	r.byte()      // Batch field 1, a struct: the Process
	r.skip(12)    // the Process
	h := r.byte() // Batch field 2, a list: the spans
	if r.err != nil || h&0x0f != 9 {
		return 0, errThrift
	}
	head := r.byte()
	size := int(head >> 4)
	if size == 15 {
		size = int(r.varint())
	}
	if r.err != nil || head&0x0f != 12 {
		return 0, errThrift
	}
	return size, nil
}

// compact reads thrift's compact protocol, far enough to skip values.
type compact struct {
	b   []byte
	err error
}

func (r *compact) byte() byte {
	if len(r.b) == 0 {
		r.err = errThrift
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *compact) varint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errThrift
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *compact) binary() {
	n := r.varint()
	if n > uint64(len(r.b)) {
		r.err = errThrift
		return
	}
	r.b = r.b[n:]
}

// skip skips one value of compact type t.
func (r *compact) skip(t byte) {
	switch t {
	case 1, 2: // booleans: in the field header (in a list, a byte)
	case 3:
		r.byte()
	case 4, 5, 6:
		r.varint()
	case 7:
		if len(r.b) < 8 {
			r.err = errThrift
			return
		}
		r.b = r.b[8:]
	case 8:
		r.binary()
	case 9, 10:
		head := r.byte()
		size := uint64(head >> 4)
		if size == 15 {
			size = r.varint()
		}
		elem := head & 0x0f
		for i := uint64(0); i < size && r.err == nil; i++ {
			if elem == 1 || elem == 2 {
				r.byte()
			} else {
				r.skip(elem)
			}
		}
	case 12:
		for r.err == nil {
			h := r.byte()
			if h == 0 {
				return
			}
			if h>>4 == 0 { // long form: the field id follows
				r.varint()
			}
			r.skip(h & 0x0f)
		}
	default: // maps do not occur in jaeger's structs
		r.err = errThrift
	}
}

// jaegerBinary counts the spans of a collector body: a Batch in thrift's
// binary protocol.
func jaegerBinary(b []byte) (int, error) {
	r := binaryThrift{b: b}
	for r.err == nil {
		t := r.take(1)
		if r.err != nil || t[0] == 0 {
			break
		}
		id := r.take(2)
		if r.err == nil && t[0] == 15 && binary.BigEndian.Uint16(id) == 2 {
			head := r.take(5)
			if r.err != nil {
				break
			}
			return int(int32(binary.BigEndian.Uint32(head[1:]))), nil
		}
		r.skip(t[0])
	}
	return 0, errThrift
}

// binaryThrift reads thrift's binary protocol, far enough to skip values.
type binaryThrift struct {
	b   []byte
	err error
}

func (r *binaryThrift) take(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.err = errThrift
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *binaryThrift) skip(t byte) {
	switch t {
	case 2, 3:
		r.take(1)
	case 4, 10:
		r.take(8)
	case 6:
		r.take(2)
	case 8:
		r.take(4)
	case 11:
		r.take(int(int32(binary.BigEndian.Uint32(r.take(4)))))
	case 12:
		for r.err == nil {
			ft := r.take(1)[0]
			if ft == 0 {
				return
			}
			r.take(2)
			r.skip(ft)
		}
	case 14, 15:
		head := r.take(5)
		for i := int32(0); i < int32(binary.BigEndian.Uint32(head[1:])) && r.err == nil; i++ {
			r.skip(head[0])
		}
	default:
		r.err = errThrift
	}
}
