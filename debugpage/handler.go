package debugpage

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/traceplug/traceplug/core"
)

// Handler returns the page for t, the Tracer p was given to with
// [core.WithRecorder]: HTML, or JSON with the query "?format=json". It
// answers GET and HEAD at whatever path it is mounted on (its links are
// relative), and "?refresh=N" makes the HTML page reload itself every N
// seconds. Mount it on an internal port only: it shows operation names,
// request URLs (redacted as the spans' http.url tags) and trace ids.
//
// Each request takes a snapshot, under short locks that the request path
// shares: a few hundred microseconds with the default sizes.
func (p *Page) Handler(t *core.Tracer) http.Handler {
	return &handler{p: p, t: t}
}

type handler struct {
	p *Page
	t *core.Tracer
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	s := h.p.snapshot(h.t)
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	var buf bytes.Buffer
	switch q.Get("format") {
	case "json":
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hdr.Set("Content-Type", "application/json")
	case "", "html":
		refresh := 0
		if n, err := strconv.Atoi(q.Get("refresh")); err == nil && n > 0 {
			refresh = min(n, 3600)
		}
		if err := pageTemplate.Execute(&buf, view{snapshot: s, Refresh: refresh}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		// No script, no remote anything: styles inline, links to the
		// backend's UI only.
		hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		hdr.Set("Referrer-Policy", "no-referrer")
	default:
		http.Error(w, `unknown format: want "json" or "html"`, http.StatusBadRequest)
		return
	}
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// view is what the template renders.
type view struct {
	*snapshot
	Refresh int
}

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"dur":   fmtDuration,
	"ago":   ago,
	"clock": func(t time.Time) string { return t.Format("15:04:05.000") },
	"time":  func(t time.Time) string { return t.Format("15:04:05") },
	"day":   func(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") },
	"height": func(n, top uint64) template.CSS {
		if top == 0 {
			return "height:0"
		}
		return template.CSS(fmt.Sprintf("height:%.1f%%", 100*float64(n)/float64(top)))
	},
	"span": func(s spanView, tr traceView) template.CSS {
		left, width := 0.0, 100.0
		if tr.Duration > 0 {
			left = 100 * float64(s.Offset) / float64(tr.Duration)
			width = 100 * float64(s.Duration) / float64(tr.Duration)
		}
		width = max(width, 0.3)
		left = min(left, 100-width)
		return template.CSS(fmt.Sprintf("left:%.2f%%;width:%.2f%%", left, width))
	},
	"indent": func(depth int) template.CSS {
		return template.CSS(fmt.Sprintf("padding-left:%.1fem", 0.4+1.1*float64(min(depth, 20))))
	},
	"rate": func(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) },
	"pct":  func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
	"width": func(f float64) template.CSS {
		return template.CSS(fmt.Sprintf("width:%.1f%%", 100*min(max(f, 0), 1)))
	},
	"age":  sinceText,
	"desc": description,
	"short": func(id string) string {
		if len(id) > 16 {
			return id[:16] + "…"
		}
		return id
	},
	"dict": func(r requestView, now time.Time) map[string]any { return map[string]any{"r": r, "now": now} },
}).Parse(pageHTML))

// fmtDuration writes d with three significant digits in the largest unit
// that keeps it above 1: "850ns", "12.3µs", "1.25ms", "2.00s".
func fmtDuration(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDuration(-d)
	}
	v, unit := float64(d), "ns"
	switch {
	case d >= time.Second:
		v, unit = v/1e9, "s"
	case d >= time.Millisecond:
		v, unit = v/1e6, "ms"
	case d >= time.Microsecond:
		v, unit = v/1e3, "µs"
	default:
		return strconv.FormatInt(int64(d), 10) + "ns"
	}
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + unit
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + unit
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + unit
}

// ago says how long before now t was: "just now", "42s ago", "5m07s ago",
// "3h02m ago".
func ago(t, now time.Time) string { return sinceText(now.Sub(t)) }

// sinceText says how long ago something was that happened d before:
// "just now", "42s ago", "5m07s ago", "3h02m ago".
func sinceText(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds ago", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// maxDescription caps, in bytes, the descriptions (a sampler's, a remote
// strategy, an error) the HTML page shows; its JSON form has them whole.
const maxDescription = 400

// description cuts s, a description that may be long and hold no spaces
// (OpenTelemetry's samplers describe themselves so), to maxDescription
// bytes and into pieces after each comma and semicolon, for the template to
// put a line break opportunity between.
func description(s string) []string {
	if len(s) > maxDescription {
		cut := maxDescription
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, ",;")
		if i < 0 {
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}
