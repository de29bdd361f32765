package jaeger

import (
	"encoding/binary"
	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/textutil"
	jaeger "github.com/uber/jaeger-client-go"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"strconv"
	"time"
)

// truncatedTag marks a span cut to fit a datagram; its value is how many tags
// and logs were removed.
const truncatedTag = "traceplug.truncated"

// udpSender batches spans into emitBatch datagrams for a Jaeger agent, as
// jaeger-client-go's own does, with two differences. It encodes each span
// once, straight into the batch (see thrift.go): a span that takes the batch
// over the datagram limit is taken back out and starts the next batch. And a
// span too large for a datagram of its own is cut to fit, not dropped. The
// reporter calls it from one goroutine.
//
// It counts the spans it sends itself, as reported or, refused by the
// kernel, as failed sends, one datagram late: see settle.
type udpSender struct {
	conn      *agentConn
	maxPacket int
	maxTagLen int
	counts    *backend.SpanCounts // for the spans it drops itself
	logger    logger

	process []byte // the batch's Process, encoded once
	spans   writer // the batch's spans, encoded
	n       int    // how many
	scratch writer
	out     []byte // the datagram
	seq     int64  // the last batch's number

	unsettled int       // spans in the last datagram sent, not counted yet
	sentAt    time.Time // when it was sent
}

// refusalWait is how long after its last datagram Close waits for the
// kernel to report it refused: a refusal takes a round trip to the agent's
// host (on the same host, it is reported before the write even returns),
// and Close waits the whole time when the agent is there.
var refusalWait = 10 * time.Millisecond

func newUDPSender(hostPort string, maxPacketSize, maxTagLen int, counts *backend.SpanCounts, logger logger) (*udpSender, error) {
	conn, err := dialAgent(hostPort, maxPacketSize, logger)
	if err != nil {
		return nil, err
	}
	return &udpSender{
		conn:      conn,
		maxPacket: maxPacketSize,
		maxTagLen: maxTagLen,
		counts:    counts,
		logger:    logger,
		spans:     writer{compact: true, b: make([]byte, 0, maxPacketSize)},
		scratch:   writer{compact: true},
	}, nil
}

// The emitBatch call: the agent's service method, whose one argument (field
// 1) is the Batch: Process (1), spans (2), seqNo (3).
const (
	emitBatch      = "emitBatch"
	messageCall    = 0x21 // compact protocol version 1, message type CALL
	compactID      = 0x82
	argBatchHeader = 0x1c // field 1 (delta 1), a struct
	batchProcess   = 0x1c // field 1 (delta 1), a struct
	batchSpans     = 0x19 // field 2 (delta 1), a list
	batchSeqNo     = 0x16 // field 3 (delta 1), an i64
)

// size is the size of the datagram of the next batch with n spans taking
// spanBytes.
func (s *udpSender) size(n, spanBytes int) int {
	seq := s.seq + 1
	return 2 + uvarintSize(uint64(uint32(int32(seq)))) + 1 + len(emitBatch) + // message header
		2 + len(s.process) + 1 + s.spans.listSize(n) + spanBytes + // the Batch's process and spans
		1 + uvarintSize(uint64(seq<<1)^uint64(seq>>63)) + 2 // its seqNo, the two structs' ends
}

// Append implements jaeger.Transport.
func (s *udpSender) Append(span *jaeger.Span) (int, error) {
	if s.process == nil {
		p := writer{compact: true}
		p.process(jaeger.BuildJaegerProcessThrift(span))
		s.process = p.b
	}
	mark := len(s.spans.b)
	s.encode(span)
	if s.size(s.n+1, len(s.spans.b)) <= s.maxPacket {
		s.n++
		return 0, nil
	}
	if s.size(1, len(s.spans.b)-mark) > s.maxPacket {
		s.spans.b = s.spans.b[:mark]
		cut := s.fit(jaeger.BuildJaegerThrift(span), s.maxPacket-s.size(1, 0))
		if cut == nil {
			// Dropped here, as too large (an error to the reporter would
			// count it as a failed send).
			s.counts.Dropped(backend.DropTooLarge, 1)
			s.logger.Printf("dropped span %s: it cannot fit in a UDP datagram of %d bytes even without tags and logs",
				shortName(span.OperationName()), s.maxPacket)
			return 0, nil
		}
		s.spans.thriftSpan(cut)
		if s.size(s.n+1, len(s.spans.b)) <= s.maxPacket {
			s.n++
			return 0, nil
		}
	}
	// The batch is full: send it without the span, which starts the next.
	return s.send(mark, 1)
}

func (s *udpSender) encode(span *jaeger.Span) {
	if fields.ok {
		s.spans.span(span, fields, s.maxTagLen, &s.scratch)
	} else {
		s.spans.thriftSpan(jaeger.BuildJaegerThrift(span))
	}
}

// Flush implements jaeger.Transport: it sends the buffered spans as one
// datagram.
func (s *udpSender) Flush() (int, error) {
	if s.n == 0 {
		return 0, nil
	}
	return s.send(len(s.spans.b), 0)
}

// send sends the batch's first s.n spans, the first end bytes of s.spans,
// and keeps what follows them, next spans, as the next batch.
func (s *udpSender) send(end, next int) (int, error) {
	s.seq++
	w := writer{compact: true, b: s.out[:0]}
	w.b = append(w.b, compactID, messageCall)
	w.b = binary.AppendUvarint(w.b, uint64(uint32(int32(s.seq))))
	w.string(emitBatch)
	w.b = append(w.b, argBatchHeader, batchProcess)
	w.b = append(w.b, s.process...)
	w.b = append(w.b, batchSpans)
	w.list(tStruct, s.n)
	w.b = append(w.b, s.spans.b[:end]...)
	w.b = append(w.b, batchSeqNo)
	w.i64(s.seq)
	w.b = append(w.b, 0, 0)
	s.out = w.b
	refused, err := s.conn.Write(w.b)
	s.settle(refused)
	sent := s.n
	if err == nil {
		s.unsettled, s.sentAt = sent, time.Now()
	} // else the reporter counts the spans as failed sends
	s.spans.b = s.spans.b[:copy(s.spans.b, s.spans.b[end:])]
	s.n = next
	return sent, err
}

// settle counts the spans of the last datagram sent: as failed sends if the
// kernel reported a refusal since (see agentConn.Write), else as reported.
//
// UDP says nothing of a datagram delivered, only, sometimes, of one refused:
// when nothing listens at the agent's port, the ICMP port unreachable that
// comes back surfaces as ECONNREFUSED on a later write or read, naming no
// datagram, and Linux keeps one such error, not one per datagram. A refusal
// is charged to the datagram sent before the write or read that reports it:
// the one refused when the refusal came back before the next datagram left,
// which a local agent's always does. Close checks the last datagram (see
// refusedBy), within refusalWait of sending it.
func (s *udpSender) settle(refused bool) {
	n := uint64(s.unsettled)
	if n == 0 {
		return
	}
	s.unsettled = 0
	if !refused {
		s.counts.Reported(n)
		return
	}
	s.counts.Dropped(backend.DropSend, n)
	s.logger.Printf("sending %s to udp://%s: nothing listens there (the host refused them)", textutil.Count(n, "span"), s.conn.hostPort)
}

// fit removes logs, last first, then tags, last first, until js fits in room
// bytes, and tags it with how many it removed. It returns nil when even the
// bare span does not fit.
func (s *udpSender) fit(js *j.Span, room int) *j.Span {
	cut := *js
	removed := int64(0)
	marker := &j.Tag{Key: truncatedTag, VType: j.TagType_LONG, VLong: &removed}
	budget := room - s.sizeOf(&j.Span{Tags: []*j.Tag{marker}}) - 16
	cut.Tags, cut.Logs = nil, nil
	used := s.sizeOf(&cut)
	// Keep tags in order while they fit: traceplug sets the standard ones first.
	for i, tag := range js.Tags {
		if n := s.sizeOf(&j.Span{Tags: []*j.Tag{tag}}) - s.sizeOf(&j.Span{}); used+n <= budget {
			cut.Tags = append(cut.Tags, tag)
			used += n
		} else {
			removed += int64(len(js.Tags) - i)
			break
		}
	}
	for i, l := range js.Logs {
		if n := s.sizeOf(&j.Span{Logs: []*j.Log{l}}) - s.sizeOf(&j.Span{}); used+n <= budget {
			cut.Logs = append(cut.Logs, l)
			used += n
		} else {
			removed += int64(len(js.Logs) - i)
			break
		}
	}
	cut.Tags = append(cut.Tags, marker)
	// The sizes above are estimates (list headers grow with their length):
	// measure, and cut further if need be.
	for {
		switch n := s.sizeOf(&cut); {
		case n <= room:
			return &cut
		case len(cut.Logs) > 0:
			cut.Logs = cut.Logs[:len(cut.Logs)-1]
		case len(cut.Tags) > 1:
			cut.Tags = append(cut.Tags[:len(cut.Tags)-2], marker)
		default:
			return nil
		}
		removed++
	}
}

// sizeOf is the size of js in the compact protocol.
func (s *udpSender) sizeOf(js *j.Span) int {
	s.scratch.b = s.scratch.b[:0]
	s.scratch.thriftSpan(js)
	return len(s.scratch.b)
}

// Close implements jaeger.Transport: it settles the last datagram, waiting
// until refusalWait after it was sent for a refusal, unless Shutdown's
// context ends first (agentConn.abort), and closes the connection.
func (s *udpSender) Close() error {
	if s.unsettled > 0 {
		s.settle(s.conn.refusedBy(s.sentAt.Add(refusalWait)))
	}
	return s.conn.Close()
}

// shortName is an operation name quoted for a log line, cut to 64 bytes.
func shortName(name string) string {
	if len(name) <= 64 {
		return strconv.Quote(name)
	}
	return strconv.Quote(name[:64]) + "…"
}
