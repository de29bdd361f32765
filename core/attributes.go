package core

import (
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/traceplug/traceplug/internal/textutil"
)

// This file holds the traced request attributes: their names, and how each
// renders a request as a tag value, within the tag length cap. What is
// secret, and how it is hidden, is redact.go's.

// attribute turns one traced request attribute into a tag value.
type attribute struct {
	name   string
	render func(r *http.Request, x *redactor) string
}

// attributes lists the traced attribute names: django_opentracing's names for
// Django's HttpRequest, then Go's http.Request field names.
var attributes = []attribute{
	{"path", func(r *http.Request, x *redactor) string { return x.path(r.URL.Path) }},
	{"path_info", func(r *http.Request, x *redactor) string { return x.path(r.URL.Path) }},
	{"method", func(r *http.Request, _ *redactor) string { return r.Method }},
	{"scheme", func(r *http.Request, _ *redactor) string { return scheme(r) }},
	{"content_type", func(r *http.Request, _ *redactor) string { return mediaType(r.Header.Get("Content-Type")) }},
	{"content_params", func(r *http.Request, x *redactor) string {
		return x.pairs(mediaParams(r.Header.Get("Content-Type")), ";,")
	}},
	{"encoding", func(r *http.Request, _ *redactor) string { return charset(r.Header.Get("Content-Type")) }},
	{"GET", func(r *http.Request, x *redactor) string { return x.query(r.URL.RawQuery) }},
	{"COOKIES", func(r *http.Request, x *redactor) string { return x.cookieNames(r) }},
	{"META", func(r *http.Request, x *redactor) string { return x.meta(r) }},
	{"headers", func(r *http.Request, x *redactor) string { return x.headers(r.Header) }},
	{"Method", func(r *http.Request, _ *redactor) string { return r.Method }},
	{"URL", func(r *http.Request, x *redactor) string { return x.url(r.URL) }},
	{"Host", func(r *http.Request, _ *redactor) string { return r.Host }},
	{"RemoteAddr", func(r *http.Request, _ *redactor) string { return r.RemoteAddr }},
	{"Proto", func(r *http.Request, _ *redactor) string { return r.Proto }},
	{"RequestURI", func(r *http.Request, x *redactor) string { return x.requestURI(r) }},
	{"ContentLength", func(r *http.Request, _ *redactor) string { return strconv.FormatInt(r.ContentLength, 10) }},
	{"Header", func(r *http.Request, x *redactor) string { return x.headers(r.Header) }},
	{"Pattern", func(r *http.Request, _ *redactor) string { return r.Pattern }},
}

// TracedAttributes returns the request attribute names that
// [WithTracedAttributes] and [Tracer.Trace] accept, in a stable order.
//
// django_opentracing's names, for Django's HttpRequest: path, path_info,
// method, scheme, content_type, content_params, encoding, GET (the query, as
// url-encoded text), COOKIES (cookie names; values are always REDACTED), META
// (CGI-style variables and HTTP_* headers, as JSON) and headers (as JSON).
// Go's http.Request field names: Method, URL, Host, RemoteAddr, Proto,
// RequestURI, ContentLength, Header (as JSON) and Pattern.
//
// Each traced attribute becomes a tag named after the attribute, with the
// request's value. Header values whose names match the redaction list
// ([DefaultRedactedHeaders]) or that hold credentials, and query values whose
// keys match ([DefaultRedactedQueryKeys]), are replaced by "REDACTED"; URLs
// lose their userinfo and fragment; values longer than the cap
// ([WithMaxTagLength]) are cut, and only as much of a request as the cap can
// show is read.
func TracedAttributes() []string {
	names := make([]string, len(attributes))
	for i, a := range attributes {
		names[i] = a.name
	}
	return names
}

// resolveAttributes checks names and returns their renderers, without
// duplicates, in the order given.
func resolveAttributes(names []string) ([]attribute, error) {
	var out []attribute
	for _, name := range names {
		a, ok := findAttribute(name)
		if !ok {
			return nil, unknownAttribute("traceplug: ", name)
		}
		dup := false
		for _, b := range out {
			dup = dup || b.name == a.name
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out, nil
}

func findAttribute(name string) (attribute, bool) {
	for _, a := range attributes {
		if a.name == name {
			return a, true
		}
	}
	return attribute{}, false
}

// capHeaders returns the names of h to render, sorted: all of them, or the
// first maxHeaders, and how many were left out. It does not sort every name
// of a request with thousands.
func (x *redactor) capHeaders(h http.Header) ([]string, int) {
	if x.maxHeaders <= 0 || len(h) <= x.maxHeaders {
		return sortedKeys(h), 0
	}
	return smallest(x.maxHeaders, func(yield func(string)) {
		for k := range h {
			yield(k)
		}
	}), len(h) - x.maxHeaders
}

// smallest returns the k smallest distinct strings that each yields, sorted,
// in O(n log k) for keys in random order (as a map gives them).
func smallest(k int, each func(yield func(string))) []string {
	var top []string
	each(func(s string) {
		if len(top) == k && s >= top[k-1] {
			return
		}
		i := sort.SearchStrings(top, s)
		if i < len(top) && top[i] == s {
			return
		}
		if len(top) < k {
			top = append(top, "")
		}
		copy(top[i+1:], top[i:])
		top[i] = s
	})
	return top
}

// jsonObject writes a JSON object within a budget: once it holds more than
// budget bytes, nothing more is written (the tag is cut there anyway).
type jsonObject struct {
	b      []byte
	budget int
}

func newJSONObject(budget int) *jsonObject {
	return &jsonObject{b: append(make([]byte, 0, min(budget, 512)), '{'), budget: budget}
}

func (o *jsonObject) full() bool { return len(o.b) > o.budget }

// key starts the member named k.
func (o *jsonObject) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = textutil.AppendJSONString(o.b, o.clip(k))
	o.b = append(o.b, ':')
}

// clip returns as much of s as can show.
func (o *jsonObject) clip(s string) string {
	if room := max(o.budget-len(o.b), 0) + 1; len(s) > room {
		return s[:room]
	}
	return s
}

func (o *jsonObject) String() string {
	if !o.full() {
		o.b = append(o.b, '}')
	}
	return string(o.b)
}

// headers renders h as a JSON object from names to lists of values, sorted
// by name, with secrets redacted (see [redactor.headerValue]).
func (x *redactor) headers(h http.Header) string {
	names, more := x.capHeaders(h)
	o := newJSONObject(x.budget())
	for _, k := range names {
		if o.full() {
			break
		}
		if more > 0 && k > "..." { // where encoding/json would sort it
			o.key("...")
			o.b = append(o.b, '[')
			o.b = textutil.AppendJSONString(o.b, strconv.Itoa(more)+" more headers")
			o.b = append(o.b, ']')
			more = 0
		}
		o.key(k)
		o.b = append(o.b, '[')
		for i, v := range h[k] {
			if o.full() {
				break
			}
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = textutil.AppendJSONString(o.b, o.clip(x.headerValue(k, v)))
		}
		o.b = append(o.b, ']')
	}
	return o.String()
}

// metaEntry is one member of the META attribute: a CGI-style variable with
// its value, or an HTTP_* variable with the header it comes from.
type metaEntry struct {
	name, value, header string
}

// meta renders the request as Django's request.META: CGI-style variables and
// one HTTP_* entry per header (values joined with ","), as a JSON object
// sorted by name, with secrets redacted.
func (x *redactor) meta(r *http.Request) string {
	names, more := x.capHeaders(r.Header)
	entries := make([]metaEntry, 0, 8+len(names))
	entries = append(entries,
		metaEntry{name: "REQUEST_METHOD", value: r.Method},
		metaEntry{name: "PATH_INFO", value: x.path(r.URL.Path)},
		metaEntry{name: "QUERY_STRING", value: x.query(r.URL.RawQuery)},
		metaEntry{name: "REMOTE_ADDR", value: r.RemoteAddr},
		metaEntry{name: "SERVER_PROTOCOL", value: r.Proto},
		metaEntry{name: "SERVER_NAME", value: r.Host})
	if r.ContentLength > 0 {
		entries = append(entries, metaEntry{name: "CONTENT_LENGTH", value: strconv.FormatInt(r.ContentLength, 10)})
	}
	if more > 0 {
		entries = append(entries, metaEntry{name: "...", value: strconv.Itoa(more) + " more headers"})
	}
	for _, k := range names {
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		switch k {
		case "Content-Type":
			name = "CONTENT_TYPE"
		case "Content-Length":
			name = "CONTENT_LENGTH"
		}
		entries = append(entries, metaEntry{name: name, header: k})
	}
	slices.SortStableFunc(entries, func(a, b metaEntry) int { return strings.Compare(a.name, b.name) })
	o := newJSONObject(x.budget())
	for i, e := range entries {
		if o.full() {
			break
		}
		if i > 0 && e.name == entries[i-1].name {
			continue // Content-Length as a header and as the request's: the first wins
		}
		o.key(e.name)
		o.b = append(o.b, '"')
		if e.header == "" {
			o.b = textutil.AppendJSONChars(o.b, o.clip(e.value))
		} else {
			for i, v := range r.Header[e.header] {
				if o.full() {
					break
				}
				if i > 0 {
					o.b = append(o.b, ',')
				}
				o.b = textutil.AppendJSONChars(o.b, o.clip(x.headerValue(e.header, v)))
			}
		}
		o.b = append(o.b, '"')
	}
	return o.String()
}

// cookieNames renders the request's cookies as a JSON object from names to
// "REDACTED": the names help debugging, the values are never tagged. At most
// maxHeaders names are rendered, the first by name, the rest counted.
func (x *redactor) cookieNames(r *http.Request) string {
	count := 0
	each := func(yield func(string)) {
		for _, line := range r.Header["Cookie"] {
			for part := range strings.SplitSeq(line, ";") {
				name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
				if isCookieName(name) {
					count++
					yield(name)
				}
			}
		}
	}
	k := x.maxHeaders
	if k <= 0 {
		k = math.MaxInt
	}
	names := smallest(k, each)
	o := newJSONObject(x.budget())
	if more := count - len(names); count > k && more > 0 {
		o.key("...")
		o.b = textutil.AppendJSONString(o.b, strconv.Itoa(more)+" more cookies")
	}
	for _, name := range names {
		if o.full() {
			break
		}
		o.key(name)
		o.b = textutil.AppendJSONString(o.b, redacted)
	}
	return o.String()
}

// isCookieName reports whether s is a valid cookie name: an RFC 9110 token.
func isCookieName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return false
		}
	}
	return true
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

func mediaType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(t)
}

func mediaParams(ct string) string {
	_, params, _ := strings.Cut(ct, ";")
	return strings.TrimSpace(params)
}

// charset returns the charset parameter of a Content-Type, reading the
// parameters one by one (a hostile header may hold thousands).
func charset(ct string) string {
	_, params, _ := strings.Cut(ct, ";")
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "charset") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
