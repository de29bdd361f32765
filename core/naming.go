package core

import (
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
)

// This file names spans: from the user's function, the decorated handler,
// the pattern http.ServeMux matched, or the method.

// operationName is the span's name at start, within the tag length cap: the
// user's function if set and sane, else the decorated handler's name, else
// from the method (and the pattern, when a router has already run).
func (t *Tracer) operationName(r *http.Request, name string) string {
	op, _ := t.startOperation(r, name)
	return op
}

// startOperation is operationName, and the route the span is named after
// when it is (a router matched before the span started), so that the span
// need not be named again when it ends.
func (t *Tracer) startOperation(r *http.Request, name string) (string, *route) {
	if t.opName != nil {
		if op := t.userOperationName(r); op != "" {
			return t.redact.cap(op), nil
		}
	}
	if name != "" {
		return t.redact.cap(name), nil
	}
	if r.Pattern != "" {
		rt := t.route(r.Method, r.Pattern)
		return rt.name, rt
	}
	if t.conv&convOTelRun != 0 {
		return t.redact.cap(otelSpanMethod(r.Method)), nil // "GET", "HTTP": otelhttp's
	}
	op, _ := method(r.Method)
	return t.redact.cap(op), nil
}

func (t *Tracer) userOperationName(r *http.Request) (op string) {
	defer func() {
		if recover() != nil {
			t.counts.callbackPanics.Add(1)
			op = ""
		}
	}()
	return t.opName(r)
}

// routeName is patternName(method, pattern) within the tag length cap,
// from t's cache of route names when it is there: a routed request's span is
// then named without searching the pattern or allocating.
func (t *Tracer) routeName(method, pattern string) string {
	return t.route(method, pattern).name
}

// route returns the cached names of a route: the span's, and the http.route
// tag's.
func (t *Tracer) route(method, pattern string) *route {
	otel := t.conv&convOTelRun != 0
	if otel {
		method = otelSpanMethod(method) // "GET" for "get", unknown methods "HTTP"
	} else {
		method = methodName(method) // unknown methods are one: "_OTHER"
	}
	e := &t.routes[routeSlot(method, pattern)]
	if r := e.Load(); r != nil && r.pattern == pattern && r.method == method {
		return r
	}
	var name string
	if otel {
		// otelhttp's: the method and http.route, without the pattern's
		// host ("GET example.com/items/{id}" is "GET /items/{id}").
		name = method + " " + routePath(pattern)
	} else {
		name = patternName(method, pattern)
	}
	r := &route{method: method, pattern: pattern, name: t.redact.cap(name),
		tag: t.redact.cap(routePath(pattern))}
	e.Store(r)
	return r
}

// routePath is the http.route of a ServeMux pattern: its path, from the
// first "/", without the method or host ("GET example.com/items/{id}" is
// "/items/{id}"), as otelhttp writes it.
func routePath(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return pattern
}

// routeCache holds span names of routes, direct-mapped by method and
// pattern: a route whose slot another took is named again, and may take it
// back. Patterns come from the router's registrations, not from requests,
// and the methods are the known ones and "_OTHER", so a few slots hold a
// service's routes.
type routeCache [64]atomic.Pointer[route]

type route struct {
	method, pattern, name string
	tag                   any // the http.route tag's value, boxed once
}

func routeSlot(method, pattern string) int {
	h := uint(len(pattern))*31 + uint(method[0]) + uint(len(method))*7
	if n := len(pattern); n > 0 {
		h = h*131 + uint(pattern[n-1])
		h = h*131 + uint(pattern[n/2])
	}
	return int(h % uint(len(routeCache{})))
}

// patternName is "METHOD pattern" for an http.ServeMux pattern such as
// "/items/{id}" or "GET /items/{id}" (whose method is replaced by the
// request's: a GET pattern also serves HEAD), an unknown method being
// "_OTHER" (see method).
func patternName(method, pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 && !strings.Contains(pattern[:i], "/") {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	return methodName(method) + " " + pattern
}

// otherMethod stands for any method but the known ones, as OpenTelemetry's
// HTTP conventions name it: a method is any token, however long, and the
// span's name and http.method must not grow with it. The original goes in
// the tag http.request.method_original, capped.
const (
	otherMethod    = "_OTHER"
	originalMethod = "http.request.method_original"
)

// methodName returns m when it is a known method (those of RFC 9110, and
// PATCH), else "_OTHER". Methods are case-sensitive: "get" is another.
func methodName(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return otherMethod
}

// method returns the operation name for a request with no pattern ("HTTP
// GET", "HTTP _OTHER") and the method as a tag value ("_OTHER" for an
// unknown one), both without allocating: each case returns constants,
// which convert to an interface without allocating.
func method(m string) (op string, tag any) {
	switch m {
	case http.MethodGet:
		return "HTTP GET", http.MethodGet
	case http.MethodHead:
		return "HTTP HEAD", http.MethodHead
	case http.MethodPost:
		return "HTTP POST", http.MethodPost
	case http.MethodPut:
		return "HTTP PUT", http.MethodPut
	case http.MethodPatch:
		return "HTTP PATCH", http.MethodPatch
	case http.MethodDelete:
		return "HTTP DELETE", http.MethodDelete
	case http.MethodOptions:
		return "HTTP OPTIONS", http.MethodOptions
	case http.MethodConnect:
		return "HTTP CONNECT", http.MethodConnect
	case http.MethodTrace:
		return "HTTP TRACE", http.MethodTrace
	}
	return "HTTP " + otherMethod, otherMethod
}

// handlerName names a handler after its function ("main.listItems", a
// method "api.Server.list") or, for other handler types, after its type
// ("api.Server"). literal says the function is a function literal, whose
// name ("main.routes.func1") says little: its spans are named after the
// route that serves them, when there is one.
func handlerName(h http.Handler) (name string, literal bool) {
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		if f := runtime.FuncForPC(v.Pointer()); f != nil {
			name := f.Name()
			if i := strings.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			if strings.HasSuffix(name, "-fm") { // a method value
				return strings.TrimSuffix(name, "-fm"), false
			}
			return name, isFuncLiteral(name)
		}
	}
	name = fmt.Sprintf("%T", h)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimLeft(name, "*"), false
}

// isFuncLiteral reports whether name, a function's name without its
// package path, is a function literal's: "pkg.F.func1", nested
// "pkg.F.func1.2", or at package level "pkg.init.func1" and
// "pkg.glob..func1". A top-level function named func1 ("pkg.func1") is not.
func isFuncLiteral(name string) bool {
	for {
		i := strings.LastIndexByte(name, '.')
		if i < 0 {
			return false
		}
		last := name[i+1:]
		if isDigits(last) { // a literal nested in a literal
			name = name[:i]
			continue
		}
		return strings.HasPrefix(last, "func") && isDigits(last[4:]) && strings.IndexByte(name[:i], '.') >= 0
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
