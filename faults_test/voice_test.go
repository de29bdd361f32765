package faults_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/conformance"
	"github.com/traceplug/traceplug/conformance_test/builtin"
	"github.com/traceplug/traceplug/core"

	_ "github.com/traceplug/traceplug/backends/console"
)

// This file holds issue 28's "errors in one voice": every backend is given
// the same faults, its error texts and drop reasons are collected side by
// side (go test -v prints them as a table), and the rules are checked across
// backends, so that the same fault reads the same on every one.

// spansPerFault is how many spans each collector fault is given.
const spansPerFault = 3

// voiceBackend is one backend over one transport, with what it takes to stand
// its collector failing (nil when it has none: mock and console record or
// print spans as they finish).
type voiceBackend struct {
	name, backend string
	opts          []core.Option
	endpoint      func(t *testing.T, f fault) string
	// noAnswers says the transport has none (UDP): a collector can neither
	// answer 500 nor keep a send waiting.
	noAnswers bool
}

func voiceBackends(t *testing.T) []voiceBackend {
	var bs []voiceBackend
	for _, h := range builtin.Harnesses() {
		tg, found := targets[h.Name]
		if !found && h.QueueSize != nil {
			t.Errorf("%s: no failing collector for this transport: add one to targets", h.Name)
		}
		bs = append(bs, voiceBackend{name: h.Name, backend: h.Backend, opts: tg.opts, endpoint: tg.endpoint, noAnswers: h.Lossy})
		if h.Name == "mock" {
			bs = append(bs, voiceBackend{name: "console", backend: "console", opts: []core.Option{core.WithEndpoint(t.TempDir() + "/spans.txt")}})
		}
	}
	return bs
}

// A shutdown is what a backend said of spansPerFault spans sent to a failing
// collector: Shutdown's error, and the spans dropped by reason. skip, when
// set, says why the fault cannot happen over this transport.
type shutdown struct {
	skip     string
	err      error
	reported uint64
	dropped  map[string]uint64
	logged   []string // what the backend logged, through core.WithLogger
}

// The collector faults, with the drop reason each must give on every
// backend, the form of every line it logs (nil: it logs nothing, as
// Shutdown's error says it all), and Shutdown's deadline (a refusal or a 500
// is answered at once; the deadline is what ends the silent collector's).
var voiceFaults = []struct {
	name     string
	fault    fault
	reason   string
	log      *regexp.Regexp
	deadline time.Duration
}{
	{"refused", conformance.Down, backend.DropSend, logForm(""), time.Minute},
	{"500", conformance.Failing, backend.DropRejected, logForm("the collector refused the spans: "), time.Minute},
	{"deadline", conformance.Silent, backend.DropShutdown, nil, 200 * time.Millisecond},
}

// logForm is the form of a line logged for spansPerFault spans lost: how
// many, where they went, then why, starting with because.
func logForm(because string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`^sending %d spans to \S+: %s`, spansPerFault, regexp.QuoteMeta(because)))
}

// sentinels are core's exported errors, whose texts no other error repeats.
var sentinels = []error{core.ErrUnknownBackend, core.ErrBadOption, core.ErrSpansLost}

// TestErrorsInOneVoice gives every backend the same faults and checks that
// they read the same: New's errors for an unknown param and a malformed
// endpoint, and, for a collector that refuses connections, answers 500, or
// never answers before Shutdown's deadline, Shutdown's error and the drop
// reason.
func TestErrorsInOneVoice(t *testing.T) {
	backends := voiceBackends(t)
	param := map[string]error{}
	endpoint := map[string]error{}
	faults := map[string]map[string]shutdown{}
	for _, b := range backends {
		faults[b.name] = map[string]shutdown{}
		t.Run(b.name+"/unknown param", func(t *testing.T) {
			param[b.name] = newErr(t, b, core.WithParam("colour", "red"))
		})
		t.Run(b.name+"/malformed endpoint", func(t *testing.T) {
			endpoint[b.name] = newErr(t, b, core.WithEndpoint("htp://x"))
		})
		for _, f := range voiceFaults {
			t.Run(b.name+"/"+f.name, func(t *testing.T) {
				s := shutdownAfter(t, b, f.fault, f.deadline)
				faults[b.name][f.name] = s
				if s.skip != "" {
					t.Skip(s.skip)
				}
			})
		}
	}

	// The table, for a reader to compare.
	var tab strings.Builder
	for _, b := range backends {
		fmt.Fprintf(&tab, "\n%s\n", b.name)
		fmt.Fprintf(&tab, "  unknown param:      %s\n", errText(param[b.name]))
		fmt.Fprintf(&tab, "  malformed endpoint: %s\n", errText(endpoint[b.name]))
		for _, f := range voiceFaults {
			s := faults[b.name][f.name]
			if s.skip != "" {
				fmt.Fprintf(&tab, "  %-19s skipped: %s\n", f.name+":", s.skip)
				continue
			}
			indent := "\n" + strings.Repeat(" ", 22)
			fmt.Fprintf(&tab, "  %-19s dropped %v, reported %d; Shutdown: %s\n", f.name+":", s.dropped, s.reported,
				strings.ReplaceAll(errText(s.err), "\n", indent))
			for _, msg := range s.logged {
				fmt.Fprintf(&tab, "  %19s %s\n", "logged:", msg)
			}
		}
	}
	t.Log(tab.String())

	// New's errors.
	for _, b := range backends {
		for what, err := range map[string]error{"unknown param": param[b.name], "malformed endpoint": endpoint[b.name]} {
			if err == nil {
				continue // newErr said so
			}
			checkNewErr(t, b, what, err)
		}
		if err := endpoint[b.name]; err != nil {
			if want := fmt.Sprintf("traceplug: backend %q: endpoint %q: want ", b.backend, "htp://x"); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s: malformed endpoint: %q: want it to start %q, then say what is accepted", b.name, err, want)
			}
		}
		if err := param[b.name]; err != nil {
			if !unknownParam.MatchString(err.Error()) {
				t.Errorf("%s: unknown param: %q: want the form %q", b.name, err, unknownParam)
			} else if m := unknownParam.FindStringSubmatch(err.Error()); m[1] != b.backend || (m[4] != "" && m[4] != b.backend) {
				t.Errorf("%s: unknown param: %q names another backend", b.name, err)
			}
		}
	}

	// Shutdown's errors and drop reasons.
	for _, f := range voiceFaults {
		lost := map[string][]string{} // the ErrSpansLost text, by backend
		said := map[string][]string{} // Shutdown's whole error, the backend's name left out
		for _, b := range backends {
			s, ran := faults[b.name][f.name]
			if !ran || s.skip != "" {
				continue
			}
			want := map[string]uint64{f.reason: spansPerFault}
			if !maps.Equal(s.dropped, want) || s.reported != 0 {
				t.Errorf("%s: %s: dropped %v, reported %d: want dropped %v", b.name, f.name, s.dropped, s.reported, want)
			}
			switch {
			case f.log == nil && len(s.logged) > 0:
				t.Errorf("%s: %s: logged %q: want nothing logged (Shutdown's error says it)", b.name, f.name, s.logged)
			case f.log != nil && len(s.logged) == 0:
				t.Errorf("%s: %s: nothing logged: want a line of the form %q", b.name, f.name, f.log)
			case f.log != nil:
				for _, msg := range s.logged {
					if !f.log.MatchString(msg) || strings.Contains(msg, "failed to") {
						t.Errorf("%s: %s: logged %q: want the form %q", b.name, f.name, msg, f.log)
					}
				}
			}
			if !errors.Is(s.err, core.ErrSpansLost) {
				t.Errorf("%s: %s: Shutdown: %v: want an error wrapping core.ErrSpansLost", b.name, f.name, s.err)
				continue
			}
			checkShutdownErr(t, b, f.name, s.err)
			text := lostText(s.err)
			lost[text] = append(lost[text], b.name)
			text = strings.ReplaceAll(s.err.Error(), b.backend+": ", "BACKEND: ")
			said[text] = append(said[text], b.name)
		}
		if len(lost) > 1 {
			t.Errorf("%s: Shutdown's lost spans read differently across backends:%s", f.name, byText(lost))
		} else if len(said) > 1 {
			t.Errorf("%s: Shutdown's errors read differently across backends:%s", f.name, byText(said))
		}
	}
}

// unknownParam is the one form of an unknown param's error: the backend's
// name, the param, and the params it knows (or that it takes none).
var unknownParam = regexp.MustCompile(`^traceplug: backend "([a-z]+)": unknown param "colour" \((known params: [a-z0-9_]+(, [a-z0-9_]+)*|([a-z]+) takes no params)\)$`)

// newErr returns New's error for b with opts, which must wrap
// core.ErrBadOption.
func newErr(t *testing.T, b voiceBackend, opts ...core.Option) error {
	t.Helper()
	tr, err := core.New(b.backend, append(append([]core.Option{core.WithServiceName("voice")}, b.opts...), opts...)...)
	if err == nil {
		_ = tr.Close()
		t.Errorf("%s: New succeeded: want an error", b.name)
		return nil
	}
	if !errors.Is(err, core.ErrBadOption) {
		t.Errorf("%s: New: %q does not wrap core.ErrBadOption", b.name, err)
	}
	return err
}

// checkNewErr checks the rules every error of New follows: one line, one
// prefix naming the backend once, no other prefix within, and no sentinel's
// text.
func checkNewErr(t *testing.T, b voiceBackend, what string, err error) {
	t.Helper()
	text := err.Error()
	prefix := fmt.Sprintf("traceplug: backend %q: ", b.backend)
	rest, ok := strings.CutPrefix(text, prefix)
	switch {
	case strings.Contains(text, "\n"):
		t.Errorf("%s: %s: %q is more than one line", b.name, what, text)
	case !ok:
		t.Errorf("%s: %s: %q does not start %q", b.name, what, text, prefix)
	case strings.HasPrefix(rest, b.backend+": ") || strings.Contains(rest, ": "+b.backend+": "):
		t.Errorf("%s: %s: %q names the backend twice", b.name, what, text)
	case strings.Contains(rest, "traceplug: "):
		t.Errorf("%s: %s: %q has a second prefix", b.name, what, text)
	}
	checkNoSentinel(t, b, what, text)
}

// checkShutdownErr checks the rules every error of Shutdown follows: each of
// its lines (errors.Join's) has one prefix, names the backend at most once,
// and repeats no sentinel's text.
func checkShutdownErr(t *testing.T, b voiceBackend, what string, err error) {
	t.Helper()
	for line := range strings.SplitSeq(err.Error(), "\n") {
		rest, ok := strings.CutPrefix(line, "traceplug: ")
		switch {
		case !ok:
			t.Errorf("%s: %s: Shutdown's %q does not start with traceplug: ", b.name, what, line)
		case strings.Contains(rest, "traceplug: "):
			t.Errorf("%s: %s: Shutdown's %q has a second prefix", b.name, what, line)
		case strings.Count(rest, b.backend+": ") > 1:
			t.Errorf("%s: %s: Shutdown's %q names the backend twice", b.name, what, line)
		}
		checkNoSentinel(t, b, what, line)
	}
}

func checkNoSentinel(t *testing.T, b voiceBackend, what, text string) {
	t.Helper()
	for _, s := range sentinels {
		if strings.Contains(text, s.Error()) {
			t.Errorf("%s: %s: %q repeats the sentinel's text %q", b.name, what, text, s)
		}
	}
}

// shutdownAfter sends spansPerFault spans to b's collector failing with f and
// shuts down within deadline.
func shutdownAfter(t *testing.T, b voiceBackend, f fault, deadline time.Duration) shutdown {
	if b.endpoint == nil {
		return shutdown{skip: "no collector: it records spans as they finish"}
	}
	if b.noAnswers && f != conformance.Down {
		return shutdown{skip: fmt.Sprintf("a UDP agent gives no answers, so %q cannot happen: what it does not read is lost unseen, and counted as reported (see docs/reliability.md)", f)}
	}
	logs := &logBuffer{}
	opts := append([]core.Option{core.WithEndpoint(b.endpoint(t, f)), core.WithServiceName("voice"), core.WithLogger(logs.logger())}, b.opts...)
	tr, err := core.New(b.backend, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for range spansPerFault {
		tr.StartSpan("voice").Finish()
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	err = tr.Shutdown(ctx)
	st := tr.Stats()
	return shutdown{err: err, reported: st.Reported, dropped: st.DroppedBy, logged: logs.messages()}
}

// lostText is the line of err that wraps core.ErrSpansLost.
func lostText(err error) string {
	var lost []string
	for _, e := range leaves(err) {
		if errors.Is(e, core.ErrSpansLost) {
			lost = append(lost, e.Error())
		}
	}
	return strings.Join(lost, "\n")
}

// leaves are the errors joined in err (errors.Join's), or err alone.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && strings.Contains(err.Error(), "\n") {
		var all []error
		for _, e := range j.Unwrap() {
			all = append(all, leaves(e)...)
		}
		return all
	}
	return []error{err}
}

// byText lists the backends that gave each text.
func byText(m map[string][]string) string {
	var b strings.Builder
	for _, text := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "\n  %q: %s", text, strings.Join(m[text], ", "))
	}
	return b.String()
}

// logBuffer keeps the messages a backend logs.
type logBuffer struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(l) }

func (l *logBuffer) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

func (l *logBuffer) Enabled(context.Context, slog.Level) bool { return true }
func (l *logBuffer) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logBuffer) WithGroup(string) slog.Handler            { return l }
func (l *logBuffer) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
