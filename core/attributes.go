package core

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// redacted replaces secret values in tags.
const redacted = "REDACTED"

// DefaultRedactedHeaders returns the default header-name substrings whose
// values never reach a tag: a header is redacted when its lower-cased name
// contains one of them. They cover Authorization, Proxy-Authorization, Cookie,
// Set-Cookie and API-key, token and session headers. See [WithRedactedHeaders].
func DefaultRedactedHeaders() []string {
	return []string{"auth", "cookie", "key", "token", "secret", "password", "passwd", "session", "signature", "credential"}
}

// DefaultRedactedQueryKeys returns the default query-key substrings whose
// values are redacted from http.url and traced attributes: a key is redacted
// when its lower-cased name contains one of them (so "access_token",
// "X-Amz-Signature" and Azure's "sig" all are). See [WithRedactedQueryKeys].
func DefaultRedactedQueryKeys() []string {
	return []string{"token", "password", "passwd", "pwd", "secret", "key", "signature", "sig", "auth", "session", "credential", "jwt", "code"}
}

// attribute turns one traced request attribute into a tag value.
type attribute struct {
	name   string
	render func(r *http.Request, x *redactor) string
}

// attributes lists the traced attribute names: django_opentracing's names for
// Django's HttpRequest, then Go's http.Request field names.
var attributes = []attribute{
	{"path", func(r *http.Request, _ *redactor) string { return r.URL.Path }},
	{"path_info", func(r *http.Request, _ *redactor) string { return r.URL.Path }},
	{"method", func(r *http.Request, _ *redactor) string { return r.Method }},
	{"scheme", func(r *http.Request, _ *redactor) string { return scheme(r) }},
	{"content_type", func(r *http.Request, _ *redactor) string { return mediaType(r.Header.Get("Content-Type")) }},
	{"content_params", func(r *http.Request, _ *redactor) string { return mediaParams(r.Header.Get("Content-Type")) }},
	{"encoding", func(r *http.Request, _ *redactor) string { return charset(r.Header.Get("Content-Type")) }},
	{"GET", func(r *http.Request, x *redactor) string { return x.query(r.URL.RawQuery) }},
	{"COOKIES", func(r *http.Request, _ *redactor) string { return cookieNames(r) }},
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
// ([DefaultRedactedHeaders]) and query values whose keys match
// ([DefaultRedactedQueryKeys]) are replaced by "REDACTED"; URLs lose their
// userinfo; values longer than the cap ([WithMaxTagLength]) are cut.
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
			return nil, fmt.Errorf("traceplug: unknown traced attribute %q (valid: %s): %w",
				name, strings.Join(TracedAttributes(), ", "), ErrBadOption)
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

// redactor hides secrets in header values, query values and URLs. It is built
// once per Tracer and only read afterwards.
type redactor struct {
	headerSubs []string // lower-cased substrings of header names to redact
	querySubs  []string // lower-cased substrings of query keys to redact
	maxLen     int
	maxHeaders int // headers rendered at most; 0: no cap
}

// capHeaders returns the names of h to render: all of them, sorted, or the
// first maxHeaders, and how many were left out.
func (x *redactor) capHeaders(h http.Header) ([]string, int) {
	names := sortedKeys(h)
	if x.maxHeaders > 0 && len(names) > x.maxHeaders {
		return names[:x.maxHeaders], len(names) - x.maxHeaders
	}
	return names, 0
}

func (x *redactor) secretHeader(name string) bool { return containsAnyFold(name, x.headerSubs) }
func (x *redactor) secretKey(key string) bool     { return containsAnyFold(key, x.querySubs) }

// containsAnyFold reports whether s, lower-cased, contains any of the
// lower-cased substrings in list. It does not allocate.
func containsAnyFold(s string, list []string) bool {
	for _, sub := range list {
		if len(sub) > len(s) {
			continue
		}
		for i := 0; i+len(sub) <= len(s); i++ {
			if strings.EqualFold(s[i:i+len(sub)], sub) {
				return true
			}
		}
	}
	return false
}

// query returns raw with the values of secret keys redacted. It returns raw
// itself, without allocating, when nothing needs redacting.
func (x *redactor) query(raw string) string {
	if raw == "" || !x.querySecret(raw) {
		return raw
	}
	var b strings.Builder
	for i, part := range strings.Split(raw, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		key, _, hasValue := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if hasValue && x.secretKey(key) {
			part = part[:strings.IndexByte(part, '=')+1] + redacted
		}
		b.WriteString(part)
	}
	return b.String()
}

// querySecret reports whether any key in raw is secret, without allocating
// for keys that need no unescaping.
func (x *redactor) querySecret(raw string) bool {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		key, _, _ := strings.Cut(part, "=")
		if strings.ContainsAny(key, "%+") {
			if k, err := url.QueryUnescape(key); err == nil {
				key = k
			}
		}
		if x.secretKey(key) {
			return true
		}
	}
	return false
}

// url renders u without userinfo and with secret query values redacted.
func (x *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && !x.querySecret(u.RawQuery) {
		return u.String()
	}
	c := *u
	c.User = nil
	c.RawQuery = x.query(u.RawQuery)
	return c.String()
}

// requestURI is the request target as the client sent it, without userinfo
// and with secret query values redacted. It does not allocate for a plain
// origin-form target.
func (x *redactor) requestURI(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		return x.url(&url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery})
	}
	if strings.HasPrefix(uri, "/") {
		path, query, ok := strings.Cut(uri, "?")
		if !ok || !x.querySecret(query) {
			return uri
		}
		return path + "?" + x.query(query)
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return x.url(&url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery})
	}
	return x.url(u)
}

// headers renders h as a JSON object with secret values redacted.
func (x *redactor) headers(h http.Header) string {
	names, more := x.capHeaders(h)
	out := make(map[string][]string, len(names)+1)
	for _, k := range names {
		v := h[k]
		if x.secretHeader(k) {
			v = []string{redacted}
		}
		out[k] = v
	}
	if more > 0 {
		out["..."] = []string{strconv.Itoa(more) + " more headers"}
	}
	return jsonString(out)
}

// meta renders the request as Django's request.META: CGI-style variables and
// one HTTP_* entry per header, as a JSON object with secret values redacted.
func (x *redactor) meta(r *http.Request) string {
	m := map[string]string{
		"REQUEST_METHOD":  r.Method,
		"PATH_INFO":       r.URL.Path,
		"QUERY_STRING":    x.query(r.URL.RawQuery),
		"REMOTE_ADDR":     r.RemoteAddr,
		"SERVER_PROTOCOL": r.Proto,
		"SERVER_NAME":     r.Host,
	}
	if r.ContentLength > 0 {
		m["CONTENT_LENGTH"] = strconv.FormatInt(r.ContentLength, 10)
	}
	names, more := x.capHeaders(r.Header)
	if more > 0 {
		m["..."] = strconv.Itoa(more) + " more headers"
	}
	for _, k := range names {
		v := r.Header[k]
		val := strings.Join(v, ",")
		if x.secretHeader(k) {
			val = redacted
		}
		name := "HTTP_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		switch k {
		case "Content-Type":
			name = "CONTENT_TYPE"
		case "Content-Length":
			name = "CONTENT_LENGTH"
		}
		m[name] = val
	}
	return jsonString(m)
}

// cap cuts s to the tag length limit.
func (x *redactor) cap(s string) string {
	if x.maxLen > 0 && len(s) > x.maxLen {
		cut := x.maxLen - 3
		for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return s[:cut] + "..."
	}
	return s
}

// cookieNames renders the request's cookies as a JSON object from names to
// "REDACTED": the names help debugging, the values are never tagged.
func cookieNames(r *http.Request) string {
	cookies := r.Cookies()
	m := make(map[string]string, len(cookies))
	for _, c := range cookies {
		m[c.Name] = redacted
	}
	return jsonString(m)
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

func charset(ct string) string {
	_, params, _ := strings.Cut(ct, ";")
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "charset") {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// jsonString renders v as JSON with sorted keys.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
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
