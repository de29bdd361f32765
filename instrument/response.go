package instrument

// ResponseState is implemented by a response writer that keeps what a
// server span records of the response: a router adapter whose router's
// writer already tracks its status and size (gin's, echo's) implements it on
// the writer it hands to core.Tracer.ServeRoute (or Middleware, or a
// handler core.Tracer.Trace wraps). Core then hands that writer on
// unwrapped, and reads the state once the handler has returned or
// panicked, instead of observing every write through a wrapper of its own
// (for a writer that is not net/http's, a wrapper made by
// github.com/felixge/httpsnoop: about a dozen allocations a request).
//
// ResponseState reports:
//   - status: the final status the writer sent, or, after the handler
//     returned, the one it will send when the router finishes the response
//     (gin sends its recorded status late); 0 when there is none (the
//     handler panicked before anything was sent);
//   - size: the body bytes sent;
//   - hijacked: whether the connection was hijacked (then no status is
//     recorded).
//
// Core calls it once, on the handler's goroutine, after the handler
// returned.
type ResponseState interface {
	ResponseState() (status int, size int64, hijacked bool)
}
