package core_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceplug/traceplug/backends/mock"
	"github.com/traceplug/traceplug/core"
)

// This file holds adversarial tests of the response-writer wrapping
// (core/writer.go): real servers over HTTP/1.1 (plain and TLS), HTTP/2 over
// TLS and h2c, each case run differentially, without and with the
// middleware, and the span's status compared with what the client received.

// ---------------------------------------------------------------------------
// helpers

var waProtos = []string{"h1", "h1tls", "h2", "h2c"}

// waCodes are final statuses that allow a body.
var waCodes = []int{200, 201, 202, 203, 205, 206, 207, 208, 226, 418, 500}

// waServe starts h on a real loopback server speaking proto and returns its
// URL and a client for it.
func waServe(t *testing.T, proto string, h http.Handler) (string, *http.Client) {
	t.Helper()
	switch proto {
	case "h1":
		srv := advServer(t, h)
		return srv.URL, advClient(t, nil)
	case "h2":
		srv := advServerH2(t, h)
		c := srv.Client()
		c.Timeout = 20 * time.Second
		t.Cleanup(c.CloseIdleConnections)
		return srv.URL, c
	case "h1tls":
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
		t.Cleanup(srv.Close)
		c := srv.Client()
		c.Timeout = 20 * time.Second
		t.Cleanup(c.CloseIdleConnections)
		return srv.URL, c
	case "h2c":
		srv := httptest.NewUnstartedServer(h)
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		srv.Config.Protocols = &p
		srv.Start()
		t.Cleanup(srv.Close)
		tp := &http.Transport{Protocols: &p}
		return srv.URL, advClient(t, tp)
	}
	t.Fatalf("unknown proto %q", proto)
	return "", nil
}

// waResult is what a client saw of a response.
type waResult struct {
	Err           string
	Status        int
	Proto         string
	Body          string
	ContentLength string
	ContentRange  string
	ContentType   string
	Close         bool
	Informational string // the 1xx codes received, in order
}

func (r waResult) String() string {
	return fmt.Sprintf("%+v", struct {
		Err, Proto, CL, CR, CT, Info string
		Status                       int
		Body                         string
		Close                        bool
	}{r.Err, r.Proto, r.ContentLength, r.ContentRange, r.ContentType, r.Informational, r.Status, trunc(r.Body), r.Close})
}

func trunc(s string) string {
	if len(s) > 60 {
		return fmt.Sprintf("%q...(%d bytes)", s[:60], len(s))
	}
	return strconv.Quote(s)
}

// waDo sends req with c and records what came back.
func waDo(c *http.Client, req *http.Request) waResult {
	var res waResult
	var info []string
	var mu sync.Mutex
	ctx := httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
			mu.Lock()
			info = append(info, strconv.Itoa(code))
			mu.Unlock()
			return nil
		},
	})
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		res.Err = "request failed"
		return res
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		res.Err = "body failed"
	}
	res.Status, res.Proto, res.Body, res.Close = resp.StatusCode, resp.Proto, string(b), resp.Close
	res.ContentLength = resp.Header.Get("Content-Length")
	res.ContentRange = resp.Header.Get("Content-Range")
	res.ContentType = resp.Header.Get("Content-Type")
	mu.Lock()
	res.Informational = strings.Join(info, ",")
	mu.Unlock()
	return res
}

// waCompare serves h on proto without and with the middleware (built with
// opts), sends the request mk makes to each, and returns what the client saw
// each time, and the span.
func waCompare(t *testing.T, proto string, h http.Handler, mk func(url string) *http.Request, opts ...core.Option) (bare, traced waResult, span mock.Span) {
	t.Helper()
	url, c := waServe(t, proto, h)
	bare = waDo(c, mk(url))
	tr, m := newMock(t, append([]core.Option{core.WithTraceAll(true)}, opts...)...)
	url, c = waServe(t, proto, tr.Middleware(h))
	traced = waDo(c, mk(url))
	span = advWait(t, m, 1)[0]
	return bare, traced, span
}

// waWantStatus fails unless the span's status is the one the client got
// (none when the client got no response).
func waWantStatus(t *testing.T, s mock.Span, r waResult) {
	t.Helper()
	if r.Err == "request failed" {
		advNoTag(t, s, "http.status_code")
		return
	}
	wantTag(t, s, "http.status_code", uint16(r.Status))
}

func waGet(url string) *http.Request {
	r, _ := http.NewRequest("GET", url, nil)
	return r
}

// onlyReader hides every method of r but Read (io.Copy then calls the
// writer's ReadFrom, as it does for a proxied upstream body).
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("upstream reset") }

// ---------------------------------------------------------------------------
// status

// TestWriterAdversarialEmptyReadFrom: io.Copy(w, src) with a source that
// yields nothing (an upstream that failed before its first byte, or an
// empty body) goes to w.ReadFrom on HTTP/1.x; net/http's response.ReadFrom
// then writes nothing, so it sends no header, and a later WriteHeader (the
// proxy's 502) is the status sent. The span must say so.
func TestWriterAdversarialEmptyReadFrom(t *testing.T) {
	for _, proto := range waProtos {
		for _, tc := range []struct {
			name string
			src  func() io.Reader
			then int
		}{
			{"failing upstream then 502", func() io.Reader { return onlyReader{failingReader{}} }, http.StatusBadGateway},
			{"empty source then 204", func() io.Reader { return onlyReader{strings.NewReader("")} }, http.StatusNoContent},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, err := io.Copy(w, tc.src()); err != nil {
						http.Error(w, "upstream failed", tc.then)
						return
					}
					w.WriteHeader(tc.then)
				})
				bare, traced, s := waCompare(t, proto, h, waGet, core.WithResponseSize(true))
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				if bare.Status != tc.then {
					t.Logf("note: net/http sent %d", bare.Status)
				}
				waWantStatus(t, s, traced)
			})
		}
	}
}

// TestWriterAdversarialHTTP2SwitchingProtocols: HTTP/2 has no 101 (RFC 9113
// 8.6); Go's HTTP/2 server treats WriteHeader(101) as any 1xx, an
// informational response, and the final status is sent later (200 at the
// first write). On HTTP/1.1, 101 is final.
func TestWriterAdversarialHTTP2SwitchingProtocols(t *testing.T) {
	for _, proto := range []string{"h2", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusSwitchingProtocols)
				_, _ = io.WriteString(w, "body")
			})
			bare, traced, s := waCompare(t, proto, h, waGet)
			if bare != traced {
				t.Errorf("without the middleware %v\n  with it %v", bare, traced)
			}
			t.Logf("client: %v", traced)
			waWantStatus(t, s, traced)
		})
	}
}

// TestWriterAdversarialInvalidCodes: WriteHeader with a code outside
// 100..999 panics in net/http (and nothing is sent), on either protocol;
// after a write, net/http ignores it before checking it.
func TestWriterAdversarialInvalidCodes(t *testing.T) {
	for _, proto := range waProtos {
		for _, code := range []int{0, -1, 99, 1000} {
			for _, afterWrite := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%d/afterWrite=%t", proto, code, afterWrite), func(t *testing.T) {
					h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if afterWrite {
							_, _ = io.WriteString(w, "x")
						}
						w.WriteHeader(code)
					})
					bare, traced, s := waCompare(t, proto, h, waGet)
					if bare != traced {
						t.Errorf("without the middleware %v\n  with it %v", bare, traced)
					}
					waWantStatus(t, s, traced)
					if _, isErr := s.Tags["error"]; isErr == afterWrite {
						t.Errorf("error tag present = %v (client: %v)", isErr, traced)
					}
				})
			}
		}
	}
}

// TestWriterAdversarialInformational: 1xx responses (103 Early Hints, an
// explicit 100, the automatic 100 Continue for Expect) reach the client the
// same through the middleware, and the span has the final status.
func TestWriterAdversarialInformational(t *testing.T) {
	for _, proto := range waProtos {
		for _, tc := range []struct {
			name   string
			h      http.HandlerFunc
			expect bool
		}{
			{"103 103 then body", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "</a.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusEarlyHints)
				_, _ = io.WriteString(w, "body")
			}, false},
			{"100 then 201", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusContinue)
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusCreated)
			}, true},
			{"auto 100 then read then 202", func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				w.WriteHeader(http.StatusAccepted)
				_, _ = w.Write(b)
			}, true},
			{"103 then 418 then 500", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusTeapot)
				w.WriteHeader(http.StatusInternalServerError)
			}, false},
		} {
			t.Run(proto+"/"+tc.name, func(t *testing.T) {
				mk := func(url string) *http.Request {
					if !tc.expect {
						return waGet(url)
					}
					r, _ := http.NewRequest("POST", url, strings.NewReader("payload"))
					r.Header.Set("Expect", "100-continue")
					return r
				}
				url, c := waServe(t, proto, tc.h)
				if tr, ok := c.Transport.(*http.Transport); ok {
					tr.ExpectContinueTimeout = 5 * time.Second
				}
				bare := waDo(c, mk(url))
				trc, m := newMock(t, core.WithTraceAll(true))
				url, c = waServe(t, proto, trc.Middleware(tc.h))
				if tr, ok := c.Transport.(*http.Transport); ok {
					tr.ExpectContinueTimeout = 5 * time.Second
				}
				traced := waDo(c, mk(url))
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				waWantStatus(t, advWait(t, m, 1)[0], traced)
			})
		}
	}
}

// ---------------------------------------------------------------------------
// http.ResponseController through a foreign writer

// logWriter is the usual logging middleware's writer: it embeds the writer
// it is given, records the status, and has Unwrap so that
// http.ResponseController reaches the server's writer (as net/http's docs
// advise); it implements no optional interface itself.
type logWriter struct {
	http.ResponseWriter
	status int
}

func (l *logWriter) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
	l.ResponseWriter.WriteHeader(code)
}
func (l *logWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

func logging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&logWriter{ResponseWriter: w}, r)
	})
}

// flushStringWriter is a middleware's writer with Flush, WriteString and
// Unwrap (httptest.ResponseRecorder's combination: the middleware wraps it
// without httpsnoop), but no Hijack.
type flushStringWriter struct{ http.ResponseWriter }

func (f flushStringWriter) Flush() { http.NewResponseController(f.ResponseWriter).Flush() }
func (f flushStringWriter) WriteString(s string) (int, error) {
	return io.WriteString(f.ResponseWriter, s)
}
func (f flushStringWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
func flushString(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(flushStringWriter{w}, r) })
}

// flushErrorWriter is a middleware's writer with FlushError (the method
// http.ResponseController prefers) but no Flush.
type flushErrorWriter struct{ http.ResponseWriter }

func (f flushErrorWriter) FlushError() error {
	return http.NewResponseController(f.ResponseWriter).Flush()
}
func (f flushErrorWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// TestWriterAdversarialControllerFlushThroughForeignUnwrap: behind a
// logging middleware whose writer has Unwrap but no Flusher,
// http.NewResponseController(w).Flush() in the handler reaches net/http's
// writer through the Unwrap chain and sends 200; a later WriteHeader(500)
// is superfluous. Likewise behind a writer with FlushError but no Flush,
// whose FlushError the controller calls. The client must see the same
// answer through the middleware; the span must say 200, as the client saw,
// behind the FlushError writer. Behind the logging writer the controller
// reaches net/http's writer past traceplug's (a middleware installed before
// traceplug's, which its documentation asks to be outermost): that flush is
// not observed, a documented limit, logged here.
func TestWriterAdversarialControllerFlushThroughForeignUnwrap(t *testing.T) {
	outers := map[string]func(http.Handler) http.Handler{
		"logging": logging,
		"FlushError only": func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(flushErrorWriter{w}, r) })
		},
	}
	for _, proto := range waProtos {
		for oname, outer := range outers {
			t.Run(proto+"/"+oname, func(t *testing.T) {
				inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if err := http.NewResponseController(w).Flush(); err != nil {
						t.Errorf("Flush: %v", err)
					}
					w.WriteHeader(http.StatusInternalServerError)
					_, _ = io.WriteString(w, "late")
				})
				url, c := waServe(t, proto, outer(inner))
				bare := waDo(c, waGet(url))
				tr, m := newMock(t, core.WithTraceAll(true))
				url, c = waServe(t, proto, outer(tr.Middleware(inner)))
				traced := waDo(c, waGet(url))
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				s := advWait(t, m, 1)[0]
				if oname == "logging" {
					t.Logf("limit: the span says %v, the client got %d (a flush past traceplug's writer)", s.Tags["http.status_code"], traced.Status)
					return
				}
				waWantStatus(t, s, traced)
				if _, isErr := s.Tags["error"]; isErr {
					t.Errorf("span tagged error, the client got %d", traced.Status)
				}
			})
		}
	}
}

// TestWriterAdversarialControllerHijackThroughForeignUnwrap: behind a
// middleware whose writer has Unwrap but no Hijacker,
// http.NewResponseController(w).Hijack() (what websocket libraries call)
// reaches net/http's writer through the Unwrap chain and takes the
// connection; net/http sends no status. The handler's own answer must reach
// the client through the middleware. The hijack happens past traceplug's
// writer (a middleware installed before traceplug's, which its
// documentation asks to be outermost), so the span cannot know: a documented
// limit, logged here.
func TestWriterAdversarialControllerHijackThroughForeignUnwrap(t *testing.T) {
	for name, outer := range map[string]func(http.Handler) http.Handler{
		"logging (httpsnoop path)":       logging,
		"flush+string (zero-alloc path)": flushString,
	} {
		t.Run(name, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, rw, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("Hijack: %v", err)
					return
				}
				defer conn.Close()
				_, _ = rw.WriteString("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				_ = rw.Flush()
			})
			srv := advServer(t, outer(tr.Middleware(inner)))
			line := advRaw(t, srv.Listener.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			if line != "HTTP/1.1 418 I'm a teapot" {
				t.Fatalf("status line %q", line)
			}
			s := advWait(t, m, 1)[0]
			t.Logf("limit: the span says status %v for a connection hijacked past traceplug's writer", s.Tags["http.status_code"])
		})
	}
}

// TestWriterAdversarialController: http.ResponseController's every method,
// and Push, do the same through the middleware on every protocol (h2c and
// HTTP/1.1 over TLS included: there the connection has no ReadFrom).
func TestWriterAdversarialController(t *testing.T) {
	for _, proto := range waProtos {
		t.Run(proto, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
			var outer, inner ifaces
			traced := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = probe(w)
				_, _ = io.WriteString(w, "ok")
			}))
			url, c := waServe(t, proto, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outer = probe(w)
				traced.ServeHTTP(w, r)
			}))
			res := waDo(c, waGet(url))
			if res.Status != 200 || res.Body != "ok" {
				t.Fatalf("got %v", res)
			}
			if outer != inner {
				t.Errorf("unwrapped %+v\n  wrapped %+v", outer, inner)
			}
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "http.status_code", uint16(200))
			wantTag(t, s, "http.response_size", int64(2))
		})
	}
}

// TestWriterAdversarialHijackAfterHeader: WriteHeader then Hijack: net/http
// flushes the header before handing over the connection, so the status was
// sent; a hijack before any WriteHeader sends none, and a WriteHeader after
// it sends nothing.
func TestWriterAdversarialHijackAfterHeader(t *testing.T) {
	for _, before := range []bool{true, false} {
		t.Run(fmt.Sprint("WriteHeader before=", before), func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true))
			srv := advServer(t, tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if before {
					w.Header().Set("Content-Length", "0")
					w.WriteHeader(http.StatusAccepted)
				}
				conn, _, err := w.(http.Hijacker).Hijack()
				if err != nil {
					t.Errorf("Hijack: %v", err)
					return
				}
				if !before {
					_, _ = io.WriteString(conn, "HTTP/1.1 409 Conflict\r\nContent-Length: 0\r\n\r\n")
					w.WriteHeader(http.StatusAccepted)
				}
				conn.Close()
			})))
			line := advRaw(t, srv.Listener.Addr().String(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
			s := advWait(t, m, 1)[0]
			if before {
				if line != "HTTP/1.1 202 Accepted" {
					t.Fatalf("status line %q", line)
				}
				wantTag(t, s, "http.status_code", uint16(202))
			} else {
				if line != "HTTP/1.1 409 Conflict" {
					t.Fatalf("status line %q", line)
				}
				advNoTag(t, s, "http.status_code")
			}
		})
	}
}

// ---------------------------------------------------------------------------
// ServeContent, ServeFile, ReadFrom and byte counts

// TestWriterAdversarialServeContent: http.ServeContent and http.ServeFile
// (which copy with io.CopyN, so ReadFrom, and sendfile on plain TCP) answer
// the same through the middleware: full, ranges (206, multipart), 304,
// 412, 416, HEAD; the span has the status and exactly the body's size.
func TestWriterAdversarialServeContent(t *testing.T) {
	content := strings.Repeat("0123456789abcdef", 4096) // 64 KiB: past sniffing and buffers
	dir := t.TempDir()
	file := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	mod := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	handlers := map[string]http.HandlerFunc{
		"ServeContent": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			http.ServeContent(w, r, "data.bin", mod, strings.NewReader(content))
		},
		"ServeFile": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			http.ServeFile(w, r, file)
		},
	}
	cases := []struct {
		name   string
		method string
		header map[string]string
	}{
		{"full", "GET", nil},
		{"range", "GET", map[string]string{"Range": "bytes=100-5099"}},
		{"suffix range", "GET", map[string]string{"Range": "bytes=-10"}},
		{"multi range", "GET", map[string]string{"Range": "bytes=0-9,600-1000"}},
		{"unsatisfiable", "GET", map[string]string{"Range": "bytes=999999-"}},
		{"if-none-match", "GET", map[string]string{"If-None-Match": `"v1"`}},
		{"if-match fails", "GET", map[string]string{"If-Match": `"v2"`}},
		{"if-range stale", "GET", map[string]string{"Range": "bytes=0-9", "If-Range": `"v0"`}},
		{"head", "HEAD", nil},
		{"head range", "HEAD", map[string]string{"Range": "bytes=0-9"}},
	}
	for _, proto := range waProtos {
		for hname, h := range handlers {
			for _, tc := range cases {
				t.Run(proto+"/"+hname+"/"+tc.name, func(t *testing.T) {
					mk := func(url string) *http.Request {
						r, _ := http.NewRequest(tc.method, url+"/data.bin", nil)
						for k, v := range tc.header {
							r.Header.Set(k, v)
						}
						return r
					}
					bare, traced, s := waCompare(t, proto, h, mk, core.WithResponseSize(true))
					if tc.name == "multi range" {
						// The multipart boundary is random: compare the rest.
						bare.Body, traced.Body, bare.ContentType, traced.ContentType = "", "", "", ""
					}
					if bare != traced {
						t.Errorf("without the middleware %v\n  with it %v", bare, traced)
					}
					waWantStatus(t, s, traced)
					if tc.name != "multi range" {
						wantTag(t, s, "http.response_size", int64(len(traced.Body)))
					} else if cl, _ := strconv.ParseInt(traced.ContentLength, 10, 64); cl > 0 {
						wantTag(t, s, "http.response_size", cl)
					}
				})
			}
		}
	}
}

// TestWriterAdversarialEchoReadFrom: io.Copy(w, r.Body) (the request body
// has no WriteTo, so this is ReadFrom, with sendfile-like splicing on plain
// TCP past the first 512 bytes) echoes the same, counts exactly the bytes
// when WithResponseSize is on, and tags no size when it is off.
func TestWriterAdversarialEchoReadFrom(t *testing.T) {
	for _, proto := range waProtos {
		for _, n := range []int{1, 511, 512, 513, 70000, 1 << 20} {
			for _, count := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%d/count=%t", proto, n, count), func(t *testing.T) {
					body := strings.Repeat("z", n)
					h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						// Without full duplex, HTTP/1 closes the body once
						// the response starts: echo all of it.
						_ = http.NewResponseController(w).EnableFullDuplex()
						if _, err := io.Copy(w, r.Body); err != nil {
							t.Errorf("copy: %v", err)
						}
					})
					mk := func(url string) *http.Request {
						r, _ := http.NewRequest("POST", url, strings.NewReader(body))
						return r
					}
					bare, traced, s := waCompare(t, proto, h, mk, core.WithResponseSize(count))
					if bare != traced || traced.Body != body {
						t.Errorf("without the middleware %v\n  with it %v", bare, traced)
					}
					waWantStatus(t, s, traced)
					if count {
						wantTag(t, s, "http.response_size", int64(n))
					} else {
						advNoTag(t, s, "http.response_size")
					}
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// composition with net/http's own handlers and other writers

// TestWriterAdversarialTimeoutHandlerInside: http.TimeoutHandler inside the
// middleware writes its buffered response, or its 503, to the wrapped
// writer from the serving goroutine: the span has what the client got.
func TestWriterAdversarialTimeoutHandlerInside(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		for _, slow := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/slow=%t", proto, slow), func(t *testing.T) {
				release := make(chan struct{})
				t.Cleanup(func() { close(release) })
				inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if slow {
						select {
						case <-release:
						case <-r.Context().Done():
						}
					}
					w.WriteHeader(http.StatusCreated)
					_, _ = io.WriteString(w, "made")
				})
				h := http.TimeoutHandler(inner, 200*time.Millisecond, "too slow")
				bare, traced, s := waCompare(t, proto, h, waGet, core.WithResponseSize(true))
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				waWantStatus(t, s, traced)
				wantTag(t, s, "http.response_size", int64(len(traced.Body)))
			})
		}
	}
}

// TestWriterAdversarialTimeoutHandlerOutside: the middleware inside
// http.TimeoutHandler runs in TimeoutHandler's goroutine with its
// timeoutWriter (only http.Pusher: the httpsnoop path). After the timeout
// the handler goes on writing into the timeoutWriter, which refuses; the
// span finishes when the handler returns, after TimeoutHandler has sent its
// 503. What status the span claims is what the handler wrote to the writer
// it was given: the middleware cannot see the 503 (logged, not asserted).
func TestWriterAdversarialTimeoutHandlerOutside(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true))
	var wrote atomic.Value
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		_, err := io.WriteString(w, "late")
		wrote.Store(errString(err))
	})
	url, c := waServe(t, "h1", http.TimeoutHandler(tr.Middleware(inner), 100*time.Millisecond, "too slow"))
	res := waDo(c, waGet(url))
	if res.Status != http.StatusServiceUnavailable {
		t.Fatalf("got %v", res)
	}
	s := advWait(t, m, 1)[0]
	t.Logf("client got 503; the handler's late write returned %v; span status tag %v", wrote.Load(), s.Tags["http.status_code"])
}

// TestWriterAdversarialMaxBytes: http.MaxBytesReader tells net/http's
// writer that the limit was hit (an unexported method), and net/http then
// answers "Connection: close". Around the middleware, MaxBytesHandler gets
// net/http's writer; inside it, the handler's MaxBytesReader gets the
// middleware's writer.
func TestWriterAdversarialMaxBytes(t *testing.T) {
	body := strings.Repeat("b", 100)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
		}
		_, _ = io.WriteString(w, "fine")
	})
	mk := func(url string) *http.Request {
		r, _ := http.NewRequest("POST", url, strings.NewReader(body))
		return r
	}
	for _, proto := range []string{"h1", "h2"} {
		t.Run(proto+"/MaxBytesHandler outside", func(t *testing.T) {
			url, c := waServe(t, proto, http.MaxBytesHandler(handler, 10))
			bare := waDo(c, mk(url))
			tr, m := newMock(t, core.WithTraceAll(true))
			url, c = waServe(t, proto, http.MaxBytesHandler(tr.Middleware(handler), 10))
			traced := waDo(c, mk(url))
			if bare != traced {
				t.Errorf("without the middleware %v\n  with it %v", bare, traced)
			}
			waWantStatus(t, advWait(t, m, 1)[0], traced)
		})
		t.Run(proto+"/MaxBytesReader inside", func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.Body = http.MaxBytesReader(w, r.Body, 10)
				handler(w, r)
			})
			bare, traced, s := waCompare(t, proto, h, mk)
			if bare != traced {
				// net/http's requestTooLarge is unexported: no wrapper
				// outside net/http can forward it (httpsnoop included).
				t.Logf("known limitation: without the middleware %v\n  with it %v", bare, traced)
			}
			waWantStatus(t, s, traced)
		})
	}
}

// TestWriterAdversarialStripPrefix: http.StripPrefix around and inside the
// middleware: the same answer, the span's status and its URL as the
// middleware saw the request.
func TestWriterAdversarialStripPrefix(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/x" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	for name, build := range map[string]func(*core.Tracer) http.Handler{
		"around": func(tr *core.Tracer) http.Handler { return http.StripPrefix("/api", tr.Middleware(inner)) },
		"inside": func(tr *core.Tracer) http.Handler { return tr.Middleware(http.StripPrefix("/api", inner)) },
	} {
		for _, path := range []string{"/api/x", "/other/x"} {
			t.Run(name+path, func(t *testing.T) {
				url, c := waServe(t, "h1", http.StripPrefix("/api", inner))
				bare := waDo(c, waGet(url+path))
				tr, m := newMock(t, core.WithTraceAll(true))
				url, c = waServe(t, "h1", build(tr))
				traced := waDo(c, waGet(url+path))
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				spans := m.FinishedSpans()
				if name == "around" && path == "/other/x" {
					if len(spans) != 0 {
						t.Errorf("StripPrefix answered 404 itself; %d spans", len(spans))
					}
					return
				}
				waWantStatus(t, advWait(t, m, 1)[0], traced)
			})
		}
	}
}

// gzipWriter is a compression middleware's writer that a handler puts
// around its own w: it implements Flush and Unwrap.
type gzipWriter struct {
	http.ResponseWriter
	gz *gzip.Writer
}

func (g *gzipWriter) Write(b []byte) (int, error) { return g.gz.Write(b) }
func (g *gzipWriter) Flush() {
	_ = g.gz.Flush()
	_ = http.NewResponseController(g.ResponseWriter).Flush()
}
func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// TestWriterAdversarialHandlerOwnWrapper: a handler that wraps the writer
// it gets in a gzip writer of its own, flushes and sets a write deadline
// through http.ResponseController (through both Unwraps), then writes:
// the same answer, the span's status and the compressed size.
func TestWriterAdversarialHandlerOwnWrapper(t *testing.T) {
	payload := strings.Repeat("compress me ", 1000)
	for _, proto := range waProtos {
		t.Run(proto, func(t *testing.T) {
			var sent atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", "text/plain")
				cw := &countWriter{w: w}
				g := &gzipWriter{ResponseWriter: w, gz: gzip.NewWriter(cw)}
				rc := http.NewResponseController(g)
				if err := rc.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
					t.Errorf("SetWriteDeadline: %v", err)
				}
				_, _ = io.WriteString(g, payload[:100])
				if err := rc.Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				_, _ = io.WriteString(g, payload[100:])
				_ = g.gz.Close()
				sent.Store(cw.n)
			})
			mk := func(url string) *http.Request {
				r, _ := http.NewRequest("GET", url, nil)
				r.Header.Set("Accept-Encoding", "gzip")
				return r
			}
			bare, traced, s := waCompare(t, proto, h, mk, core.WithResponseSize(true))
			if bare != traced {
				t.Errorf("without the middleware %v\n  with it %v", bare, traced)
			}
			zr, err := gzip.NewReader(strings.NewReader(traced.Body))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(zr); string(got) != payload {
				t.Errorf("decompressed %d bytes", len(got))
			}
			waWantStatus(t, s, traced)
			wantTag(t, s, "http.response_size", sent.Load())
		})
	}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// ---------------------------------------------------------------------------
// concurrency

// TestWriterAdversarialConcurrentStreams: many HTTP/2 streams on one
// connection (and HTTP/1 connections in parallel), each answered with its
// own status and size through Write, WriteString, Flush and ReadFrom as
// available; under -race, and each span has exactly its stream's status
// and size.
func TestWriterAdversarialConcurrentStreams(t *testing.T) {
	for _, proto := range waProtos {
		t.Run(proto, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
			h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				code, _ := strconv.Atoi(r.URL.Query().Get("st"))
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				w.WriteHeader(code)
				for i := 0; i < n; i++ {
					switch i % 3 {
					case 0:
						_, _ = w.Write([]byte("a"))
					case 1:
						_, _ = io.WriteString(w, "a")
					case 2:
						if rf, ok := w.(io.ReaderFrom); ok {
							_, _ = rf.ReadFrom(onlyReader{strings.NewReader("a")})
						} else {
							_, _ = w.Write([]byte("a"))
						}
						w.(http.Flusher).Flush()
					}
				}
			}))
			url, c := waServe(t, proto, h)
			const N = 60
			var wg sync.WaitGroup
			for i := range N {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code := waCodes[i%len(waCodes)]
					res := waDo(c, waGet(fmt.Sprintf("%s/?st=%d&n=%d", url, code, i)))
					if res.Status != code || len(res.Body) != i {
						t.Errorf("request %d: %v", i, res)
					}
				}()
			}
			wg.Wait()
			spans := advWait(t, m, N)
			for _, s := range spans {
				u := fmt.Sprint(s.Tags["http.url"])
				q := u[strings.Index(u, "?")+1:]
				var code, n int
				if _, err := fmt.Sscanf(strings.NewReplacer("&", " ", "=", " ").Replace(q), "st %d n %d", &code, &n); err != nil {
					t.Fatalf("url %q: %v", u, err)
				}
				if s.Tags["http.status_code"] != uint16(code) || s.Tags["http.response_size"] != int64(n) {
					t.Errorf("span for %s: status %v size %v", q, s.Tags["http.status_code"], s.Tags["http.response_size"])
				}
			}
		})
	}
}

// TestWriterAdversarialOtherGoroutine: a handler that writes from another
// goroutine and waits for it before returning (allowed by net/http): no
// race, and the span has the status and size. (Writing after ServeHTTP has
// returned is forbidden by net/http itself, whose writers race then too;
// it is not tested.)
func TestWriterAdversarialOtherGoroutine(t *testing.T) {
	for _, proto := range waProtos {
		t.Run(proto, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.WriteHeader(http.StatusPartialContent)
					_, _ = io.WriteString(w, "from elsewhere")
					w.(http.Flusher).Flush()
				}()
				wg.Wait()
				_, _ = io.WriteString(w, "!")
			})
			bare, traced, s := waCompare(t, proto, h, waGet, core.WithResponseSize(true))
			if bare != traced {
				t.Errorf("without the middleware %v\n  with it %v", bare, traced)
			}
			waWantStatus(t, s, traced)
			wantTag(t, s, "http.response_size", int64(len(traced.Body)))
		})
	}
}

// Writers of assorted shapes, for the shape cache (four slots).
type (
	shapePlain   struct{ *httptest.ResponseRecorder }
	shapeHijack  struct{ http.ResponseWriter }
	shapeReader  struct{ http.ResponseWriter }
	shapePusher  struct{ http.ResponseWriter }
	shapeFlushRF struct{ http.ResponseWriter }
)

func (shapeHijack) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("no") }
func (s shapeReader) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{s.ResponseWriter}, r)
}
func (shapePusher) Push(string, *http.PushOptions) error { return http.ErrNotSupported }
func (s shapeFlushRF) Flush()                            {}
func (s shapeFlushRF) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{s.ResponseWriter}, r)
}

// TestWriterAdversarialShapeCacheThrash: more writer types than the shape
// cache has slots, wrapped concurrently: each handler gets exactly its
// writer's interfaces and the span its status, under -race.
func TestWriterAdversarialShapeCacheThrash(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
	mks := []func() http.ResponseWriter{
		func() http.ResponseWriter { return httptest.NewRecorder() },
		func() http.ResponseWriter { return shapePlain{httptest.NewRecorder()} }, // the recorder's shape
		func() http.ResponseWriter { return struct{ http.ResponseWriter }{httptest.NewRecorder()} },
		func() http.ResponseWriter { return shapeHijack{httptest.NewRecorder()} },
		func() http.ResponseWriter { return shapeReader{httptest.NewRecorder()} },
		func() http.ResponseWriter { return shapePusher{httptest.NewRecorder()} },
		func() http.ResponseWriter { return shapeFlushRF{httptest.NewRecorder()} },
		func() http.ResponseWriter { return everythingW{httptest.NewRecorder()} },
	}
	var wg sync.WaitGroup
	const rounds = 40
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				w := mks[(g+i)%len(mks)]()
				want := probeShape(w)
				code := waCodes[(g+i)%len(waCodes)]
				h := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if got := probeShape(w); got != want {
						t.Errorf("%T: wrapped shape %s, want %s", w, got, want)
					}
					w.WriteHeader(code)
					_, _ = io.WriteString(w, "abc")
				}))
				h.ServeHTTP(w, httptest.NewRequest("GET", fmt.Sprintf("/?c=%d", code), nil))
			}
		}()
	}
	wg.Wait()
	for _, s := range m.FinishedSpans() {
		u := fmt.Sprint(s.Tags["http.url"])
		code, _ := strconv.Atoi(u[strings.Index(u, "c=")+2:])
		if s.Tags["http.status_code"] != uint16(code) || s.Tags["http.response_size"] != int64(3) {
			t.Errorf("%s: status %v size %v", u, s.Tags["http.status_code"], s.Tags["http.response_size"])
		}
	}
	if n := len(m.FinishedSpans()); n != 8*rounds {
		t.Errorf("%d spans", n)
	}
}

type everythingW struct{ *httptest.ResponseRecorder }

func (everythingW) FlushError() error                            { return nil }
func (everythingW) CloseNotify() <-chan bool                     { return nil }
func (everythingW) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("no") }
func (everythingW) ReadFrom(io.Reader) (int64, error)            { return 0, nil }
func (everythingW) SetReadDeadline(time.Time) error              { return nil }
func (everythingW) SetWriteDeadline(time.Time) error             { return nil }
func (everythingW) EnableFullDuplex() error                      { return nil }
func (everythingW) Push(string, *http.PushOptions) error         { return nil }

func probeShape(w http.ResponseWriter) string {
	var b strings.Builder
	for _, ok := range []bool{
		is[http.Flusher](w), is[interface{ FlushError() error }](w), is[http.CloseNotifier](w),
		is[http.Hijacker](w), is[io.ReaderFrom](w), is[interface{ SetReadDeadline(time.Time) error }](w),
		is[interface{ SetWriteDeadline(time.Time) error }](w), is[interface{ EnableFullDuplex() error }](w),
		is[http.Pusher](w), is[io.StringWriter](w),
	} {
		if ok {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

func is[T any](w http.ResponseWriter) bool { _, ok := w.(T); return ok }

// ---------------------------------------------------------------------------
// allocations

// TestWriterAdversarialAllocs: wrapping net/http's writers (HTTP/1, HTTP/2)
// and the recorder costs no allocation: a request through the middleware
// costs the same on each (the span's own cost), and each thing a handler
// does with its writer (Write, WriteString, Flush, ReadFrom, Header, the
// controller's Flush and deadline) costs nothing more through the
// middleware than without it. A writer of another shape (httpsnoop) costs
// more: the check that the measure sees the wrapper at all. Under -race,
// sync.Pool drops items at random (net/http pools its copy buffers and
// HTTP/2 frames), so per-operation counts there may differ by one.
func TestWriterAdversarialAllocs(t *testing.T) {
	tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
	race := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			race = race || s.Key == "-race" && s.Value == "true"
		}
	}
	src := strings.NewReader("")
	ops := map[string]func(w http.ResponseWriter){
		"Write":       func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) },
		"WriteString": func(w http.ResponseWriter) { _, _ = w.(io.StringWriter).WriteString("y") },
		"Flush":       func(w http.ResponseWriter) { w.(http.Flusher).Flush() },
		"Header":      func(w http.ResponseWriter) { _ = w.Header().Get("X") },
		"ReadFrom": func(w http.ResponseWriter) {
			if rf, ok := w.(io.ReaderFrom); ok {
				src.Reset("z")
				_, _ = rf.ReadFrom(onlyReader{src})
			}
		},
		"controller Flush":    func(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() },
		"controller deadline": func(w http.ResponseWriter) { _ = http.NewResponseController(w).SetWriteDeadline(time.Time{}) },
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tnoop := tr.Middleware(noop)
	costs := map[string]float64{} // a traced no-op request, by writer
	var mu sync.Mutex
	// measure runs on w, with a request of its own (without the server's
	// context, whose cancellation allocates).
	measure := func(name string, w http.ResponseWriter) {
		r := httptest.NewRequest("GET", "/", nil)
		base := testing.AllocsPerRun(100, func() { tnoop.ServeHTTP(w, r); m.Reset() })
		mu.Lock()
		costs[name] = base
		mu.Unlock()
		if name == "httpsnoop" {
			return
		}
		for op, f := range ops {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(w) })
			th := tr.Middleware(h)
			traced := testing.AllocsPerRun(100, func() { th.ServeHTTP(w, r); m.Reset() }) - base
			bare := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
			switch {
			case traced == bare:
			case race && traced <= bare+1:
				t.Logf("%s %s: %v allocations through the middleware, %v without (-race: pool noise)", name, op, traced, bare)
			default:
				t.Errorf("%s %s: %v allocations through the middleware, %v without", name, op, traced, bare)
			}
		}
	}
	for _, proto := range []string{"h1", "h2"} {
		url, c := waServe(t, proto, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { measure(proto, w) }))
		if res := waDo(c, waGet(url)); res.Err != "" {
			t.Fatalf("%s: %v", proto, res)
		}
	}
	measure("recorder", httptest.NewRecorder())
	measure("httpsnoop", everythingW{httptest.NewRecorder()})
	t.Logf("a traced no-op request costs: %v", costs)
	for _, name := range []string{"h1", "h2"} {
		if costs[name] != costs["recorder"] {
			t.Errorf("%s: a traced request costs %v allocations, on the recorder %v", name, costs[name], costs["recorder"])
		}
	}
	if costs["httpsnoop"] <= costs["recorder"] {
		t.Errorf("httpsnoop path costs %v, the known path %v: the measure does not see the wrapper", costs["httpsnoop"], costs["recorder"])
	}
}

// ---------------------------------------------------------------------------
// HTTP/2 specifics

// TestWriterAdversarialPushAndFullDuplex: on HTTP/2 the wrapped writer is a
// Pusher whose Push fails as net/http's does (the Go client disables push),
// EnableFullDuplex is unsupported, and a request streaming both ways works.
func TestWriterAdversarialPushAndFullDuplex(t *testing.T) {
	for _, proto := range []string{"h2", "h2c"} {
		t.Run(proto, func(t *testing.T) {
			tr, m := newMock(t, core.WithTraceAll(true), core.WithResponseSize(true))
			var pushErr, outerPushErr, dup, outerDup atomic.Value
			traced := tr.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, ok := w.(http.Pusher)
				if !ok {
					t.Error("no Pusher through the middleware")
					return
				}
				pushErr.Store(errString(p.Push("/style.css", nil)))
				dup.Store(errString(http.NewResponseController(w).EnableFullDuplex()))
				rc := http.NewResponseController(w)
				w.WriteHeader(http.StatusOK)
				_ = rc.Flush()
				br := bufio.NewReader(r.Body)
				for {
					line, err := br.ReadString('\n')
					if line != "" {
						_, _ = io.WriteString(w, "echo:"+line)
						_ = rc.Flush()
					}
					if err != nil {
						return
					}
				}
			}))
			url, c := waServe(t, proto, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outerPushErr.Store(errString(w.(http.Pusher).Push("/style.css", nil)))
				outerDup.Store(errString(http.NewResponseController(w).EnableFullDuplex()))
				traced.ServeHTTP(w, r)
			}))
			pr, pw := io.Pipe()
			req, _ := http.NewRequestWithContext(context.Background(), "POST", url, pr)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Fatalf("served over %s", resp.Proto)
			}
			br := bufio.NewReader(resp.Body)
			for i := range 3 {
				msg := fmt.Sprintf("m%d\n", i)
				_, _ = io.WriteString(pw, msg)
				if line, err := br.ReadString('\n'); line != "echo:"+msg {
					t.Fatalf("round %d: %q %v", i, line, err)
				}
			}
			pw.Close()
			_, _ = io.Copy(io.Discard, br)
			if pushErr.Load() != outerPushErr.Load() || dup.Load() != outerDup.Load() {
				t.Errorf("Push %v / EnableFullDuplex %v through the middleware; %v / %v without", pushErr.Load(), dup.Load(), outerPushErr.Load(), outerDup.Load())
			}
			s := advWait(t, m, 1)[0]
			wantTag(t, s, "http.status_code", uint16(200))
			wantTag(t, s, "http.response_size", int64(3*len("echo:m0\n")))
		})
	}
}

// TestWriterAdversarialPanicAfterHeaderUnflushed: a handler that calls
// WriteHeader (or writes a little, still buffered) and then panics: net/http
// sends nothing (HTTP/1 closes the connection, HTTP/2 resets the stream).
// The span says error; its status is the one the handler set, which the
// contract ("none if the handler panicked before writing") allows, though
// no status reached the client. Logged, not asserted.
func TestWriterAdversarialPanicAfterHeaderUnflushed(t *testing.T) {
	for _, proto := range []string{"h1", "h2"} {
		for name, h := range map[string]http.HandlerFunc{
			"WriteHeader 503": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				panic(http.ErrAbortHandler)
			},
			"small Write": func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "partial")
				panic(http.ErrAbortHandler)
			},
		} {
			t.Run(proto+"/"+name, func(t *testing.T) {
				bare, traced, s := waCompare(t, proto, h, waGet)
				if bare != traced {
					t.Errorf("without the middleware %v\n  with it %v", bare, traced)
				}
				wantTag(t, s, "error", true)
				t.Logf("client: %v; span status %v", traced, s.Tags["http.status_code"])
			})
		}
	}
}
