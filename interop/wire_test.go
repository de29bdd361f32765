package interop_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/traceplug/traceplug/conformance"
)

// wireCtx is a span context as read from request headers by the test itself,
// independently of every client under test. Ids are in the conformance
// model's form.
type wireCtx struct {
	trace, span string
	sampled     *bool // nil: no decision on the wire
}

// readWire reads the span context of format from h, leniently as to case and
// padding (the clients under test pad, or not, differently), strictly as to
// what is there.
func readWire(format string, h http.Header) (wireCtx, error) {
	id := func(s string, max int) (string, error) {
		if s == "" || len(s) > max {
			return "", fmt.Errorf("id %q: want 1 to %d hex digits", s, max)
		}
		for _, c := range strings.ToLower(s) {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return "", fmt.Errorf("id %q is not hex", s)
			}
		}
		return conformance.NormalizeID(s), nil
	}
	var c wireCtx
	var err error
	switch format {
	case "tracecontext":
		v := h.Values("Traceparent")
		if len(v) != 1 {
			return c, fmt.Errorf("want one traceparent header, found %d", len(v))
		}
		f := strings.Split(v[0], "-")
		if len(f) != 4 || f[0] != "00" || len(f[1]) != 32 || len(f[2]) != 16 || len(f[3]) != 2 {
			return c, fmt.Errorf("traceparent %q is not version 00 as W3C writes it", v[0])
		}
		if f[1] != strings.ToLower(f[1]) || f[2] != strings.ToLower(f[2]) {
			return c, fmt.Errorf("traceparent %q is not lower case", v[0])
		}
		flags, perr := strconv.ParseUint(f[3], 16, 8)
		if perr != nil {
			return c, fmt.Errorf("traceparent %q: flags: %v", v[0], perr)
		}
		if c.trace, err = id(f[1], 32); err != nil {
			return c, err
		}
		if c.span, err = id(f[2], 16); err != nil {
			return c, err
		}
		c.sampled = ptr(flags&1 == 1)
	case "b3":
		v := h.Get("B3")
		if v == "" {
			return c, errors.New("no b3 header")
		}
		f := strings.Split(v, "-")
		if len(f) < 2 || len(f) > 4 {
			return c, fmt.Errorf("b3 %q: want trace-span[-sampling[-parent]]", v)
		}
		if c.trace, err = id(f[0], 32); err != nil {
			return c, err
		}
		if c.span, err = id(f[1], 16); err != nil {
			return c, err
		}
		if len(f) > 2 {
			switch f[2] {
			case "1", "d":
				c.sampled = ptr(true)
			case "0":
				c.sampled = ptr(false)
			default:
				return c, fmt.Errorf("b3 %q: sampling state %q", v, f[2])
			}
		}
	case "b3multi":
		if c.trace, err = id(h.Get("X-B3-Traceid"), 32); err != nil {
			return c, fmt.Errorf("X-B3-TraceId: %v", err)
		}
		if c.span, err = id(h.Get("X-B3-Spanid"), 16); err != nil {
			return c, fmt.Errorf("X-B3-SpanId: %v", err)
		}
		switch s := h.Get("X-B3-Sampled"); {
		case h.Get("X-B3-Flags") == "1", s == "1", s == "true":
			c.sampled = ptr(true)
		case s == "0", s == "false":
			c.sampled = ptr(false)
		case s != "":
			return c, fmt.Errorf("X-B3-Sampled %q", s)
		}
	case "jaeger":
		raw := h.Get("Uber-Trace-Id")
		v, uerr := url.QueryUnescape(raw)
		if raw == "" || uerr != nil {
			return c, fmt.Errorf("uber-trace-id %q missing or not URL-encoded", raw)
		}
		f := strings.Split(v, ":")
		if len(f) != 4 {
			return c, fmt.Errorf("uber-trace-id %q: want trace:span:parent:flags", v)
		}
		if c.trace, err = id(f[0], 32); err != nil {
			return c, err
		}
		if c.span, err = id(f[1], 16); err != nil {
			return c, err
		}
		flags, perr := strconv.ParseUint(f[3], 16, 8)
		if perr != nil {
			return c, fmt.Errorf("uber-trace-id %q: flags: %v", v, perr)
		}
		c.sampled = ptr(flags&1 == 1)
	case "ottrace":
		if c.trace, err = id(h.Get("Ot-Tracer-Traceid"), 32); err != nil {
			return c, fmt.Errorf("ot-tracer-traceid: %v", err)
		}
		if c.span, err = id(h.Get("Ot-Tracer-Spanid"), 16); err != nil {
			return c, fmt.Errorf("ot-tracer-spanid: %v", err)
		}
		switch s := h.Get("Ot-Tracer-Sampled"); s {
		case "true", "1":
			c.sampled = ptr(true)
		case "false", "0":
			c.sampled = ptr(false)
		default:
			return c, fmt.Errorf("ot-tracer-sampled %q", s)
		}
	default:
		return c, fmt.Errorf("unknown format %q", format)
	}
	return c, nil
}

// firstWire returns the trace id in the first of formats that h holds.
func firstWire(h http.Header, formats []string) (trace, format string, err error) {
	for _, f := range formats {
		c, err := readWire(f, h)
		if err == nil {
			return c.trace, f, nil
		}
	}
	return "", "", fmt.Errorf("none of %v in %s", formats, show(h))
}

// wireBaggage reads the baggage item bagKey where a sender put it: "baggage"
// is the W3C header, anything else a header prefix.
func wireBaggage(where string, h http.Header) (string, bool) {
	if where != "baggage" {
		v := h.Values(where + bagKey)
		if len(v) != 1 {
			return "", false
		}
		return v[0], true
	}
	for _, line := range h.Values("Baggage") {
		for _, member := range strings.Split(line, ",") {
			kv, _, _ := strings.Cut(member, ";")
			k, v, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(k) != bagKey {
				continue
			}
			v, err := url.PathUnescape(strings.TrimSpace(v))
			return v, err == nil
		}
	}
	return "", false
}

func bagPlace(where string) string {
	if where == "baggage" {
		return "the W3C baggage header"
	}
	return where + bagKey
}

// show renders the tracing headers of h, sorted, for failure messages.
func show(h http.Header) string {
	var parts []string
	for k, vs := range h {
		lk := strings.ToLower(k)
		switch {
		case lk == "traceparent", lk == "tracestate", lk == "baggage", lk == "b3", lk == "uber-trace-id",
			strings.HasPrefix(lk, "x-b3-"), strings.HasPrefix(lk, "ot-"), strings.HasPrefix(lk, "uberctx-"),
			strings.HasPrefix(lk, "baggage-"), lk == "jaeger-baggage":
			parts = append(parts, lk+": "+strings.Join(vs, ", "))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "{no tracing headers}"
	}
	return "{" + strings.Join(parts, "; ") + "}"
}
