package propagation_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/traceplug/traceplug/propagation"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenContexts are the contexts whose headers the golden files hold.
var goldenContexts = []struct {
	title string
	sc    propagation.SpanContext
}{
	{"64-bit trace id, sampled, with a parent and baggage",
		withBaggage(withParent(ctx64(yes)), "user", "alice smith", "Tier", "gold")},
	{"128-bit trace id, debug, with a parent, tracestate and baggage",
		withBaggage(withState(withParent(ctx128(debug)), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), "k", "v=1;2")},
}

// render returns the headers p writes for sc, one "name: value" a line,
// sorted.
func render(p propagation.Propagator, sc propagation.SpanContext) string {
	w := opentracing.TextMapCarrier{}
	p.Inject(sc, w)
	var lines []string
	for k, v := range w {
		lines = append(lines, k+": "+v+"\n")
	}
	slices.Sort(lines)
	return strings.Join(lines, "")
}

// TestGolden compares the headers each format writes with
// testdata/FORMAT.golden; go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	files := map[string]string{"all": "tracecontext,baggage,b3,b3multi,jaeger,ottrace"}
	for _, f := range []string{"tracecontext", "baggage", "b3", "b3multi", "jaeger", "ottrace"} {
		files[f] = f
	}
	for name, list := range files {
		t.Run(name, func(t *testing.T) {
			p := mustParse(t, list)
			var b strings.Builder
			b.WriteString("# Headers written by Propagator " + list + ".\n")
			for _, c := range goldenContexts {
				b.WriteString("\n## " + c.title + "\n" + render(p, c.sc))
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("headers differ from %s:\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
