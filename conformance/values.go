package conformance

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go/ext"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/core"
)

// This file holds what a backend's own wire tests share beyond the suite:
// tag values of every kind, a busy service's spans, and the checks of what
// Close sent and counted.

// TagValues returns tag values of every kind of Go value a backend is
// handed, by name: nil, bools, every integer type at its extremes (uint64
// past MaxInt64 included), floats with NaN, ±Inf and -0, text with a NUL,
// U+2028 and JSON and HTML metacharacters, empty text, bytes, nil and empty
// slices, an error, a struct, a fmt.Stringer and a nil one (whose String
// panics), pointers, ext's span kind, a map, a slice, a nil func. All its
// text is UTF-8; [InvalidText] adds what is not. A test sets them all and
// compares what its collector decoded with what the backend documents, or
// with what its client library's stock reporter sends.
func TagValues() map[string]any {
	var nilStringer *Stringer
	x := 7
	return map[string]any{
		"nil":          nil,
		"bool.true":    true,
		"bool.false":   false,
		"int":          int(-1),
		"int8":         int8(math.MinInt8),
		"int16":        int16(math.MinInt16),
		"int32":        int32(math.MinInt32),
		"int64.min":    int64(math.MinInt64),
		"int64.max":    int64(math.MaxInt64),
		"uint":         uint(math.MaxUint),
		"uint8":        uint8(math.MaxUint8),
		"uint16":       uint16(math.MaxUint16),
		"uint32":       uint32(math.MaxUint32),
		"uint64.max":   uint64(math.MaxUint64),
		"float32":      float32(1.5),
		"float64.nan":  math.NaN(),
		"float64.inf":  math.Inf(1),
		"float64.-inf": math.Inf(-1),
		"float64.-0":   math.Copysign(0, -1),
		"string.nul":   "a\x00b\u2028\"<&>\\",
		"string.empty": "",
		"bytes":        []byte{0, 1, 0xff},
		"bytes.empty":  []byte{},
		"bytes.nil":    []byte(nil),
		"err.value":    errors.New("boom"), // not "error", which OpenTracing reserves for a bool
		"struct":       ValueStruct{A: 1, B: "b"},
		"stringer":     &Stringer{N: 3},
		"stringer.nil": nilStringer,
		"pointer":      &x,
		"pointer.nil":  (*int)(nil),
		"kind":         ext.SpanKindRPCServerEnum,
		"map":          map[string]int{"k": 1},
		"slice":        []int{1, 2, 3},
		"func.nil":     (func())(nil),
	}
}

// InvalidText returns tag values, and a key, whose text is not UTF-8.
func InvalidText() map[string]any {
	return map[string]any{
		"string.bad":  "a\xff\xfeb\x00c\u2028\"<&>\\",
		"err.bad":     errors.New("boom\x00\xff"),
		"\xff\x00key": "bad key",
	}
}

// AllTagValues returns the values of [TagValues] and [InvalidText]
// together, for a backend whose wire format carries any text.
func AllTagValues() map[string]any {
	v := TagValues()
	maps.Copy(v, InvalidText())
	return v
}

// FinishSpans starts and finishes n spans on tr from 4 goroutines at once,
// as a busy service does: named "g<goroutine>-<i>" and tagged i=<i>.
func FinishSpans(tr *core.Tracer, n int) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				s := tr.StartSpan(fmt.Sprintf("g%d-%d", g, i))
				s.SetTag("i", i)
				s.Finish()
			}
		})
	}
	wg.Wait()
}

// CheckCloseFlushes serves 3 requests through tr's Middleware, finishes
// 2,500 more spans, starts one more and closes tr, then finishes that span
// (twice). It fails t unless decoded, called after Close, says the collector
// got the 2,503 spans finished before Close, the accounting agrees
// ([CheckAccounting]), Finished counts the 3 middleware spans and the late
// span is dropped as finished after close. tr should flush on a timer far
// longer than the test, so that Close sends the backlog.
func CheckCloseFlushes(t testing.TB, tr *core.Tracer, decoded func() int) {
	t.Helper()
	srv := httptest.NewServer(tr.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	for range 3 {
		resp, err := http.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	srv.Close()
	for range 2500 {
		tr.StartSpan("bulk").Finish()
	}
	late := tr.StartSpan("late")
	if err := tr.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	late.Finish()
	late.Finish()
	n := decoded()
	if n != 2503 {
		t.Errorf("the collector decoded %d spans, want 2503", n)
	}
	st := CheckAccounting(t, tr, n)
	if st.Finished != 3 {
		t.Errorf("Stats.Finished = %d, want the 3 middleware spans", st.Finished)
	}
	if st.Dropped != 1 || st.DroppedBy[backend.DropClosed] != 1 {
		t.Errorf("DroppedBy %v, want the late span as %q", st.DroppedBy, backend.DropClosed)
	}
}

// ValueStruct is the struct of [TagValues].
type ValueStruct struct {
	A int
	B string
}

// Stringer is the fmt.Stringer of [TagValues]. Its String dereferences its
// receiver: a nil one panics, as such methods do in applications.
type Stringer struct{ N int }

func (s *Stringer) String() string { return "stringer-" + strconv.Itoa(s.N) }

// CheckAccounting fails t unless tr's Stats, after Close, account for the
// spans its collector decoded: Reported is decoded, none is pending, and
// Dropped is the sum of DroppedBy. It returns the Stats.
func CheckAccounting(t testing.TB, tr *core.Tracer, decoded int) core.Stats {
	t.Helper()
	st := tr.Stats()
	if st.Reported != uint64(decoded) {
		t.Errorf("Stats.Reported = %d, but the collector decoded %d spans (stats %+v)", st.Reported, decoded, st)
	}
	if st.Pending != 0 {
		t.Errorf("Stats.Pending = %d after Close (stats %+v)", st.Pending, st)
	}
	var sum uint64
	for _, n := range st.DroppedBy {
		sum += n
	}
	if sum != st.Dropped {
		t.Errorf("Stats.Dropped = %d, DroppedBy sums to %d (stats %+v)", st.Dropped, sum, st)
	}
	return st
}
