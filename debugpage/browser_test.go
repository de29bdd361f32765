//go:build browser

package debugpage_test

// The page in a real browser: Debian's chromium, headless. Run with
//
//	apt-get install -y chromium   # once; CHROMIUM names another binary
//	go test -tags browser -run TestInBrowser -count=1 ./debugpage/
//
// It writes the screenshot to docs/debugpage.png.

import (
	"bytes"
	"cmp"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/debugpage"
	"github.com/traceplug/traceplug/sampling"
)

const (
	screenshotPath = "../docs/debugpage.png"
	width, height  = 1280, 1600
)

// TestInBrowser loads the page of an app under load, from real requests
// over loopback, in headless chromium: the DOM has the tables and the
// waterfall, its counts (and the sampling decisions of a Jaeger remote
// sampler) agree with Stats() taken just before and after, and the
// screenshot is a sensible, non-blank PNG.
func TestInBrowser(t *testing.T) {
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(chromium); err != nil {
		t.Fatalf("no browser: %v (apt-get install -y chromium, or set CHROMIUM)", err)
	}
	// The fleet's operators sample /slow at one half, from Jaeger.
	strategies := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(rw, `{"strategyType":"PROBABILISTIC","operationSampling":{"defaultSamplingProbability":1,`+
			`"defaultLowerBoundTracesPerSecond":1,"perOperationStrategies":[{"operation":"GET /slow","probabilisticSampling":{"samplingRate":0.5}}]}}`)
	}))
	t.Cleanup(strategies.Close) // after the world's cleanup, which stops the polling
	remote, err := sampling.NewJaegerRemote(sampling.JaegerRemoteConfig{Endpoint: strategies.URL + "/sampling", ServiceName: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, []debugpage.Option{debugpage.WithTraceURL("http://localhost:16686/trace/{trace_id}"), debugpage.WithTraces(6)},
		core.WithEndpoint("http://user:s3cret@jaeger.internal:14268/api/traces?access_token=S3CRET"),
		core.WithSampler(sampling.ParentBased(remote)))
	for deadline := time.Now().Add(10 * time.Second); w.tracer.Stats().Sampling.Remote.Updated.IsZero(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no strategy fetched: %+v", w.tracer.Stats().Sampling.Remote)
		}
	}
	stop := make(chan struct{})
	wg := w.load(t, 3, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			wg.Wait()
		}
	}()
	time.Sleep(1500 * time.Millisecond) // some traffic to show

	dir := t.TempDir()
	shot := filepath.Join(dir, "page.png")
	before := w.tracer.Stats()
	dom := runChromium(t, chromium, dir, "--screenshot="+shot, "--dump-dom", w.debug.URL+"/")
	after := w.tracer.Stats()
	close(stop)
	wg.Wait()

	// The DOM: the sections, tables and the waterfall.
	for _, want := range []string{
		`<table class="kv" id="settings">`, `<table class="kv" id="stats">`, `<table id="operations">`,
		`<div id="requests">`, `<table class="reqs">`, `<section class="trace" id="trace-`, `class="bar server"`, `class="bar client"`,
		`class="bar internal"`, `class="hist"`,
		`data-op="GET /front/{n}"`, `data-op="GET /back/{n}"`, `data-op="HTTP GET"`, `data-op="load item"`, `data-op="GET /slow"`,
		`http://REDACTED@jaeger.internal:14268/api/traces?access_token=REDACTED`,
		`<table class="kv" id="sampling">`, `<table id="sampling-operations">`,
		`<div class="desc mono"><b>JaegerRemote{per-operation: 1 operation,<wbr> default 1,<wbr> lower bound 1/s}<wbr></b></div>`,
		`<div class="desc" id="remote-endpoint">` + strategies.URL + `/sampling</div>`,
		`data-sampling-op="GET /front/{n}"`, `data-sampling-op="GET /back/{n}"`, `data-sampling-op="GET /slow"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
	for _, secret := range []string{"s3cret", "S3CRET"} {
		if strings.Contains(dom, secret) {
			t.Errorf("the DOM shows %q", secret)
		}
	}
	if n := strings.Count(dom, `<section class="trace"`); n != 6 {
		t.Errorf("%d traces drawn, want 6", n)
	}
	if n := strings.Count(dom, `<tr class="span`); n < 6 {
		t.Errorf("%d waterfall rows", n)
	}
	if n := len(regexp.MustCompile(`<div style="height:[0-9.]+%" title="`).FindAllString(dom, -1)); n < 5 {
		t.Errorf("%d histogram bars", n)
	}

	// The counts: between Stats() before and after the page was drawn.
	num := func(id string) uint64 {
		m := regexp.MustCompile(`id="` + id + `">(\d+)<`).FindStringSubmatch(dom)
		if m == nil {
			t.Fatalf("no #%s in the DOM", id)
		}
		n, _ := strconv.ParseUint(m[1], 10, 64)
		return n
	}
	for _, c := range []struct {
		id            string
		before, after uint64
	}{
		{"stat-started", before.Started, after.Started},
		{"stat-finished", before.Finished, after.Finished},
		{"stat-reported", before.Reported, after.Reported},
		{"stat-dropped", before.Dropped, after.Dropped},
		{"stat-baggage-dropped", before.BaggageDropped, after.BaggageDropped},
		{"stat-callback-panics", before.CallbackPanics, after.CallbackPanics},
	} {
		if n := num(c.id); n < c.before || n > c.after {
			t.Errorf("#%s = %d, want from %d to %d", c.id, n, c.before, c.after)
		}
	}
	// The sampling decisions: between those before and after, and the
	// strategy's age, "fetched 2s ago".
	decided := func(st core.Stats) (sampled, notSampled uint64) {
		for _, o := range st.Sampling.Operations {
			sampled, notSampled = sampled+o.Sampled, notSampled+o.NotSampled
		}
		return sampled, notSampled
	}
	s0, n0 := decided(before)
	s1, n1 := decided(after)
	if n := num("sampling-sampled"); n < s0 || n > s1 {
		t.Errorf("%d traces sampled, want from %d to %d", n, s0, s1)
	}
	if n := num("sampling-not-sampled"); n < n0 || n > n1 || n1 == 0 {
		t.Errorf("%d traces not sampled, want from %d to %d, and some", n, n0, n1)
	}
	if !regexp.MustCompile(`<td id="remote-age">(just now|\d+s ago) <span class="muted">at \d\d:\d\d:\d\d</span> <span class="muted">· 1 poll, 0 failed</span></td>`).MatchString(dom) {
		t.Errorf("the strategy's age is not shown: %s", regexp.MustCompile(`<td id="remote-age">.*?</td>`).FindString(dom))
	}
	if before.Finished < 100 {
		t.Errorf("only %d spans finished before the page was drawn", before.Finished)
	}
	// Recorded server and client spans are those finished, but for those
	// that finished while the page was drawn (Stats is read last).
	finished, recorded := num("stat-finished"), num("recorded-server")+num("recorded-client")
	if recorded > finished || finished-recorded > after.Finished-before.Finished {
		t.Errorf("recorded %d server and client spans, Stats says %d finished; %d finished while the page loaded",
			recorded, finished, after.Finished-before.Finished)
	}
	// The operations' totals add up to what was recorded.
	var sum uint64
	for _, m := range regexp.MustCompile(`<td class="n sep requests">(\d+)</td>`).FindAllStringSubmatch(dom, -1) {
		n, _ := strconv.ParseUint(m[1], 10, 64)
		sum += n
	}
	if want := recorded + num("recorded-other"); sum != want {
		t.Errorf("the operations count %d spans, the page recorded %d", sum, want)
	}

	// The screenshot: a PNG of the window's size, not blank.
	checkScreenshot(t, shot)

	// The screenshot for the docs, of the page once the load is over and a
	// failed and a slow request came last (so that the latest traces show
	// them).
	w.get(t, "/front/7?work=1.5ms", nil)
	w.get(t, "/slow?d=6ms", nil)
	w.get(t, "/front/13", nil)
	w.get(t, "/front/21?work=2.5ms", nil)
	docShot := filepath.Join(dir, "doc.png")
	runChromium(t, chromium, dir, "--screenshot="+docShot, w.debug.URL+"/")
	img, colours, ink := checkScreenshot(t, docShot)
	small, err := shrink(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(small) > 300<<10 {
		t.Errorf("screenshot of %d KB, want < 300 KB", len(small)>>10)
	}
	if err := os.WriteFile(screenshotPath, small, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d KB, %d colours, %.0f%% ink; %d spans finished while the page loaded",
		screenshotPath, len(small)>>10, colours, 100*ink, after.Finished-before.Finished)
}

// checkScreenshot decodes the PNG at path and checks that it has the
// window's size and is not blank.
func checkScreenshot(t *testing.T, path string) (img image.Image, colours int, ink float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err = png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != image.Pt(width, height) {
		t.Errorf("screenshot %v, want %dx%d", got, width, height)
	}
	colours, ink = census(img)
	if colours < 16 || ink < 0.02 {
		t.Errorf("the screenshot %s looks blank: %d colours, %.1f%% not white", path, colours, 100*ink)
	}
	return img, colours, ink
}

// runChromium runs headless chromium with args and returns what it printed.
func runChromium(t *testing.T, chromium, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--window-size=" + strconv.Itoa(width) + "," + strconv.Itoa(height),
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", chromium, err, stderr.String())
	}
	return stdout.String()
}

// census counts img's colours (up to 1000) and the share of pixels that
// are not white.
func census(img image.Image) (colours int, ink float64) {
	seen := map[color.RGBA]bool{}
	var n, dark int
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if len(seen) < 1000 {
				seen[c] = true
			}
			n++
			if c.R < 240 || c.G < 240 || c.B < 240 {
				dark++
			}
		}
	}
	return len(seen), float64(dark) / float64(n)
}

// shrink encodes img with a palette of its 256 most frequent colours (text
// and bars need no more), at the best compression: a third of the size.
func shrink(img image.Image) ([]byte, error) {
	r := img.Bounds()
	freq := map[color.RGBA]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			freq[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	all := make([]color.RGBA, 0, len(freq))
	for c := range freq {
		all = append(all, c)
	}
	slices.SortFunc(all, func(a, b color.RGBA) int {
		return cmp.Or(freq[b]-freq[a], cmp.Compare(a.R, b.R), cmp.Compare(a.G, b.G), cmp.Compare(a.B, b.B))
	})
	pal := color.Palette{}
	for _, c := range all[:min(256, len(all))] {
		pal = append(pal, c)
	}
	index := map[color.RGBA]uint8{}
	out := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := index[c]
			if !ok {
				i = uint8(pal.Index(c))
				index[c] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out)
	return buf.Bytes(), err
}
