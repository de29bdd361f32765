package transporttest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy is an HTTP proxy on 127.0.0.1 that keeps what it is asked for,
// and sends everything to one collector, whatever host a request names:
// it serves requests for http:// URLs itself with http, and tunnels
// CONNECT requests (for https:// URLs, and gRPC) to the address to. It is
// safe for concurrent use.
type Proxy struct {
	// URL is the proxy's, for HTTP_PROXY or HTTPS_PROXY.
	URL  string
	http http.Handler
	to   string

	mu    sync.Mutex
	asked []string
	conns []net.Conn
	wg    sync.WaitGroup
}

// StartProxy starts a proxy until the test ends. Either of http and to may
// be nil or empty, if the test needs no such requests.
func StartProxy(t *testing.T, http http.Handler, to string) *Proxy {
	t.Helper()
	p := &Proxy{http: http, to: to}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// ServeHTTP serves a proxy request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.asked = append(p.asked, r.Method+" "+r.RequestURI)
	p.mu.Unlock()
	if r.Method != http.MethodConnect {
		if p.http == nil || !r.URL.IsAbs() {
			http.Error(w, "proxy: not a proxy request", http.StatusBadRequest)
			return
		}
		p.http.ServeHTTP(w, r)
		return
	}
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	down, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, up, down)
	p.wg.Add(2)
	p.mu.Unlock()
	_, _ = down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	pipe := func(dst net.Conn, src io.Reader) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
	}
	go pipe(up, buf)
	go pipe(down, up)
}

// Requests returns the method and target of each request the proxy got.
func (p *Proxy) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

// SetProxyEnv sets the proxy variables for the test, upper case (which
// net/http reads first) and lower case, so that the machine's own do not
// count. It first has net/http read them as they are, as it does once in a
// process's life, so that other tests' clients (gRPC's, and the backends'
// that use http.ProxyFromEnvironment) do not take this test's.
func SetProxyEnv(t *testing.T, httpProxy, httpsProxy, noProxy string) {
	t.Helper()
	_, _ = http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: "collector.invalid"}})
	for name, v := range map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpsProxy, "NO_PROXY": noProxy} {
		t.Setenv(name, v)
		t.Setenv(strings.ToLower(name), v)
	}
}
