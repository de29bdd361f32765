package jaeger

import (
	"context"
	"fmt"
	"net"

	jaeger "github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	j "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"github.com/uber/jaeger-client-go/utils"
)

// emitBatchOverhead is the room the emitBatch envelope takes in a datagram,
// as jaeger-client-go reckons it.
const emitBatchOverhead = 70

// truncatedTag marks a span cut to fit a datagram; its value is how many tags
// and logs were removed.
const truncatedTag = "traceplug.truncated"

// udpSender batches spans into emitBatch datagrams for a Jaeger agent, like
// jaeger-client-go's own, except that a span too large for a datagram is cut
// to fit instead of dropped. The reporter calls it from one goroutine.
type udpSender struct {
	client   *utils.AgentClientUDP
	maxBytes int // span bytes a datagram holds, envelope excluded

	sizer   *thrift.TMemoryBuffer
	proto   thrift.TProtocol
	process *j.Process
	procLen int

	spans []*j.Span
	size  int
	seq   int64
}

func newUDPSender(hostPort string, maxPacketSize int, logger logger) (*udpSender, error) {
	host, _, _ := net.SplitHostPort(hostPort)
	client, err := utils.NewAgentClientUDPWithParams(utils.AgentClientUDPParams{
		HostPort:      hostPort,
		MaxPacketSize: maxPacketSize,
		Logger:        logger,
		// An IP address needs no re-resolving, and so no goroutine doing it.
		DisableAttemptReconnecting: net.ParseIP(host) != nil,
	})
	if err != nil {
		return nil, err
	}
	sizer := thrift.NewTMemoryBufferLen(maxPacketSize)
	return &udpSender{
		client:   client,
		maxBytes: maxPacketSize - emitBatchOverhead,
		sizer:    sizer,
		proto:    thrift.NewTCompactProtocolFactory().GetProtocol(sizer),
	}, nil
}

func (s *udpSender) sizeOf(v thrift.TStruct) int {
	s.sizer.Reset()
	_ = v.Write(context.Background(), s.proto)
	return s.sizer.Len()
}

// Append implements jaeger.Transport.
func (s *udpSender) Append(span *jaeger.Span) (int, error) {
	if s.process == nil {
		s.process = jaeger.BuildJaegerProcessThrift(span)
		s.procLen = s.sizeOf(s.process)
	}
	js := jaeger.BuildJaegerThrift(span)
	n := s.sizeOf(js)
	room := s.maxBytes - s.procLen
	if n > room {
		if js, n = s.fit(js, room); js == nil {
			return 1, fmt.Errorf("span %q cannot fit in a UDP datagram even without tags and logs", span.OperationName())
		}
	}
	if s.size+n > room {
		flushed, err := s.Flush()
		s.spans, s.size = append(s.spans, js), n
		return flushed, err
	}
	s.spans = append(s.spans, js)
	s.size += n
	return 0, nil
}

// fit removes logs, last first, then tags, last first, until js fits in room
// bytes, and tags it with how many it removed. It returns nil when even the
// bare span does not fit.
func (s *udpSender) fit(js *j.Span, room int) (*j.Span, int) {
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
		n := s.sizeOf(&cut)
		switch {
		case n <= room:
			return &cut, n
		case len(cut.Logs) > 0:
			cut.Logs = cut.Logs[:len(cut.Logs)-1]
		case len(cut.Tags) > 1:
			cut.Tags = append(cut.Tags[:len(cut.Tags)-2], marker)
		default:
			return nil, 0
		}
		removed++
	}
}

// Flush implements jaeger.Transport: it sends the buffered spans as one datagram.
func (s *udpSender) Flush() (int, error) {
	n := len(s.spans)
	if n == 0 {
		return 0, nil
	}
	s.seq++
	seq := s.seq
	err := s.client.EmitBatch(context.Background(), &j.Batch{Process: s.process, Spans: s.spans, SeqNo: &seq})
	clear(s.spans)
	s.spans, s.size = s.spans[:0], 0
	return n, err
}

// Close implements jaeger.Transport.
func (s *udpSender) Close() error { return s.client.Close() }
