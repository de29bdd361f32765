package jaeger

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	jaeger "github.com/uber/jaeger-client-go"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/backends/jaeger/jaegertest"
	"github.com/traceplug/traceplug/core"
)

// closedPort returns a UDP address of 127.0.0.1 where nothing listens: a
// listener's, closed.
func closedPort(t *testing.T) *net.UDPAddr {
	t.Helper()
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.LocalAddr().(*net.UDPAddr)
	l.Close()
	return addr
}

// waitForRefusals makes Close wait as long as it takes for the kernel to
// report a refusal, which on loopback is at once: no test depends on how
// soon.
func waitForRefusals(t *testing.T, d time.Duration) {
	saved := refusalWait
	refusalWait = d
	t.Cleanup(func() { refusalWait = saved })
}

// TestUDPToNoAgentIsNotReported: spans sent to a port where nothing listens
// are counted as failed sends, not reported, and Shutdown's error says they
// were lost: the last datagram's refusal is found at Shutdown, the others'
// by the writes after them.
func TestUDPToNoAgentIsNotReported(t *testing.T) {
	waitForRefusals(t, time.Minute)
	for _, tc := range []struct {
		name  string
		spans int
		opts  []core.Option
		tag   int // bytes of tag per span
	}{
		{"one datagram", 2, nil, 0},
		// One span a datagram: five refusals found by the next write, the
		// last at Shutdown.
		{"six datagrams", 6, []core.Option{core.WithParam("max_packet_size", "1024")}, 700},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := core.New("jaeger", append([]core.Option{core.WithServiceName("no-agent"),
				core.WithEndpoint("udp://" + closedPort(t).String()), core.WithParam("flush_interval", "1h")}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			for range tc.spans {
				tr.StartSpan("unheard").SetTag("pad", strings.Repeat("x", tc.tag)).Finish()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			err = tr.Shutdown(ctx)
			if !errors.Is(err, core.ErrSpansLost) {
				t.Errorf("Shutdown: %v, want an error wrapping ErrSpansLost", err)
			}
			s := tr.Stats()
			t.Logf("Stats: reported %d, dropped %v; Shutdown: %v", s.Reported, s.DroppedBy, err)
			if s.Reported+s.Dropped != uint64(tc.spans) || s.Pending != 0 {
				t.Fatalf("reported %d + dropped %d (%v), pending %d: want every one of %d spans accounted for",
					s.Reported, s.Dropped, s.DroppedBy, s.Pending, tc.spans)
			}
			// A refusal is charged to the datagram before the write that
			// reports it, which on loopback is the one refused: the kernel
			// reports it before the write returns. Were it ever slower, a
			// datagram would count as reported, and the next as refused:
			// so, to depend on no timing, only the last datagram and one
			// other are required to count as failed sends here.
			if want := min(2, tc.spans); s.DroppedBy[backend.DropSend] < uint64(want) {
				t.Errorf("%d spans counted as send failed, want at least %d", s.DroppedBy[backend.DropSend], want)
			}
			if tc.spans == 2 && s.Reported != 0 {
				t.Errorf("%d spans counted as reported; no agent listened", s.Reported)
			}
		})
	}
}

// TestUDPRefusedWriteIsSentAgain: the write that reports an earlier
// datagram's refusal sends nothing itself (Linux returns the refusal in
// place of it): the sender sends it again, so that an agent that has come
// back in between gets it, once.
func TestUDPRefusedWriteIsSentAgain(t *testing.T) {
	addr := closedPort(t)
	counts := &backend.SpanCounts{}
	s, err := newUDPSender(addr.String(), 65000, 1024, counts, newLogger())
	if err != nil {
		t.Fatal(err)
	}
	tr, closer := jaeger.NewTracer("again", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer closer.Close()
	send := func(op string) {
		sp := tr.StartSpan(op)
		sp.Finish()
		counts.Handed(1)
		if _, err := s.Append(sp.(*jaeger.Span)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Flush(); err != nil {
			t.Fatalf("sending %s: %v", op, err)
		}
	}
	send("to nobody")
	agent, err := net.ListenUDP("udp", addr) // the agent comes back
	if err != nil {
		t.Skipf("port %d taken again before the agent could have it: %v", addr.Port, err)
	}
	defer agent.Close()
	send("to the agent")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var got []string
	buf := make([]byte, 65536)
	for {
		// Nothing is on its way: the sender has closed.
		_ = agent.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := agent.Read(buf)
		if err != nil {
			break
		}
		b, err := jaegertest.DecodeCompact(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		for _, span := range b.Spans {
			got = append(got, span.OperationName)
		}
	}
	if len(got) != 1 || got[0] != "to the agent" {
		t.Errorf("the agent received %q, want the second span, once", got)
	}
	st := counts.BackendStats()
	t.Logf("reported %d, dropped %v", st.Reported, st.Dropped)
	if st.Reported < 1 || st.Reported+st.Dropped[backend.DropSend] != 2 {
		t.Errorf("reported %d, dropped %v: want the second span reported, the first reported or send failed", st.Reported, st.Dropped)
	}
}

// TestUDPShutdownWaitsNoLongerThanItsContext: the wait for a refusal of the
// last datagram ends with Shutdown's context.
func TestUDPShutdownWaitsNoLongerThanItsContext(t *testing.T) {
	waitForRefusals(t, time.Hour)
	c := jaegertest.NewUDP(t)
	tr, err := core.New("jaeger", core.WithServiceName("agent-there"), core.WithEndpoint(c.Endpoint()),
		core.WithParam("flush_interval", "1h"))
	if err != nil {
		t.Fatal(err)
	}
	tr.StartSpan("heard").Finish()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_ = tr.Shutdown(ctx) // an error: the deadline ended the wait
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Shutdown took %v with a 50ms context", d)
	}
	if s := tr.Stats(); s.Reported != 1 {
		t.Errorf("Stats: reported %d, dropped %v; want the span sent, and reported: no refusal came", s.Reported, s.DroppedBy)
	}
}
