package echotrace

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/labstack/echo/v4"
)

// This file finds the route a request matched. echo reports a path for
// requests that matched no route too: that of the RouteNotFound route that
// answered it ("/api/*", which every group with middleware registers), or,
// for a 405, that of a route registered for other methods. A request
// matched a route when a route of its method has the path echo reports,
// which the index of the router's routes answers with one map lookup.
//
// The index is built at a server's first request, and again when echo
// reports a path it lacks (a route added since). A method added later to a
// path it has is not seen: echo's router is no more safe for adding routes
// while it serves, which users do before they start the server.

// routes finds the routes of the echo servers one middleware serves. It is
// safe for concurrent use.
type routes struct {
	last   atomic.Pointer[routeIndex] // the index of the last server
	others sync.Map                   // *echo.Echo -> *routeIndex: a middleware on several servers
	mu     sync.Mutex                 // serializes building indexes
}

// route returns the route c's request, r, matched, as echo spells it, or ""
// if it matched none.
func (rs *routes) route(c echo.Context, r *http.Request) string {
	path := c.Path()
	if path == "" { // echo's own 404: no route at all
		return ""
	}
	idx := rs.last.Load()
	if e := c.Echo(); idx == nil || idx.e != e {
		idx = rs.index(e)
	}
	ms := idx.methods(r.Host, path)
	if ms == nil { // a route added since the index was built
		ms = rs.rebuild(idx, r.Host, path).methods(r.Host, path)
	}
	if ms.has(r.Method) {
		return path
	}
	return ""
}

// index returns the index of e's routes, building it the first time.
func (rs *routes) index(e *echo.Echo) *routeIndex {
	if v, ok := rs.others.Load(e); ok {
		idx := v.(*routeIndex)
		rs.last.Store(idx)
		return idx
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if v, ok := rs.others.Load(e); ok { // built by another request meanwhile
		rs.last.Store(v.(*routeIndex))
		return v.(*routeIndex)
	}
	idx := newRouteIndex(e)
	rs.others.Store(e, idx)
	rs.last.Store(idx)
	return idx
}

// rebuild replaces old, which lacks path, with an index of the routes of
// old's server now. A path the router reports but does not list (a route
// added to the router directly, with [echo.Router.Add]) is taken to match
// every method, so that it is looked up once.
func (rs *routes) rebuild(old *routeIndex, host, path string) *routeIndex {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if v, ok := rs.others.Load(old.e); ok && v.(*routeIndex) != old {
		if v.(*routeIndex).methods(host, path) != nil {
			return v.(*routeIndex) // rebuilt by another request meanwhile
		}
	}
	idx := newRouteIndex(old.e)
	for _, ps := range idx.all() {
		if _, ok := ps[path]; !ok {
			ps[path] = &methodSet{any: true}
		}
	}
	rs.others.Store(old.e, idx)
	rs.last.Store(idx)
	return idx
}

// routeIndex holds, for each path of a server's routes, the methods
// registered for it. It is read-only once built.
type routeIndex struct {
	e     *echo.Echo
	paths map[string]*methodSet            // the default router's
	hosts map[string]map[string]*methodSet // each host's router ([echo.Echo.Host]), if any
}

func newRouteIndex(e *echo.Echo) *routeIndex {
	idx := &routeIndex{e: e, paths: indexRoutes(e.Router().Routes())}
	if hosts := e.Routers(); len(hosts) > 0 {
		idx.hosts = make(map[string]map[string]*methodSet, len(hosts))
		for host, r := range hosts {
			idx.hosts[host] = indexRoutes(r.Routes())
		}
	}
	return idx
}

func indexRoutes(routes []*echo.Route) map[string]*methodSet {
	paths := make(map[string]*methodSet, len(routes))
	for _, rt := range routes {
		ms := paths[rt.Path]
		if ms == nil {
			ms = new(methodSet)
			paths[rt.Path] = ms
		}
		ms.add(rt.Method)
	}
	return paths
}

// methods returns the methods registered for path on the router that
// serves host, as echo picks it, or nil if the router has no such path.
func (idx *routeIndex) methods(host, path string) *methodSet {
	paths := idx.paths
	if idx.hosts != nil {
		if ps, ok := idx.hosts[host]; ok {
			paths = ps
		}
	}
	return paths[path]
}

func (idx *routeIndex) all() []map[string]*methodSet {
	all := []map[string]*methodSet{idx.paths}
	for _, ps := range idx.hosts {
		all = append(all, ps)
	}
	return all
}

// methodSet is a set of methods: a bit for each method echo's router has a
// slot for, and the others by name.
type methodSet struct {
	bits  uint16
	other []string
	any   bool // every method (a path the router does not list)
}

func (ms *methodSet) add(method string) {
	if method == echo.RouteNotFound { // answers for no method
		return
	}
	if bit, ok := methodBit(method); ok {
		ms.bits |= bit
		return
	}
	ms.other = append(ms.other, method)
}

func (ms *methodSet) has(method string) bool {
	if ms.any {
		return true
	}
	if bit, ok := methodBit(method); ok {
		return ms.bits&bit != 0
	}
	for _, m := range ms.other {
		if m == method {
			return true
		}
	}
	return false
}

// methodBit is the bit of method in a methodSet, for the methods echo's
// router has a slot for.
func methodBit(method string) (uint16, bool) {
	switch method {
	case http.MethodGet:
		return 1 << 0, true
	case http.MethodPost:
		return 1 << 1, true
	case http.MethodPut:
		return 1 << 2, true
	case http.MethodDelete:
		return 1 << 3, true
	case http.MethodPatch:
		return 1 << 4, true
	case http.MethodHead:
		return 1 << 5, true
	case http.MethodOptions:
		return 1 << 6, true
	case http.MethodConnect:
		return 1 << 7, true
	case http.MethodTrace:
		return 1 << 8, true
	case echo.PROPFIND:
		return 1 << 9, true
	case echo.REPORT:
		return 1 << 10, true
	}
	return 0, false
}
