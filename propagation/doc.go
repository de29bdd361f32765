// Package propagation reads and writes span contexts in every wire format
// traceplug speaks, over one neutral type, [SpanContext]: a backend converts
// its own span contexts to and from it, and so speaks every format, several
// at once.
//
// # Formats and lists
//
// Formats are named as in OpenTelemetry's OTEL_PROPAGATORS, and listed the
// same way, comma-separated ([Parse]):
//
//	tracecontext  W3C Trace Context: traceparent, tracestate
//	baggage       W3C Baggage: baggage (baggage only, never a span context)
//	b3            B3 single header b3; reads b3 and X-B3-*
//	b3multi       B3 multiple headers X-B3-*; reads b3 and X-B3-*
//	jaeger        uber-trace-id, uberctx-KEY; reads jaeger-baggage and jaeger-debug-id too
//	ottrace       ot-tracer-traceid, ot-tracer-spanid, ot-tracer-sampled, ot-baggage-KEY
//	none          nothing (alone)
//
// A [Propagator] built from a list reads the first valid context among the
// listed formats and writes them all, so that a fleet can move from one
// format to another service by service: read both, write both, then drop the
// old one. "tracecontext,baggage" is OpenTelemetry's default.
//
// # Extraction
//
// [Propagator.Extract] reads a carrier in one pass, whatever the number of
// formats, matching header names case-insensitively (an http.Header holds
// "Uber-Trace-Id", a TextMap may hold any case). Then the formats that carry
// a span context are tried in list order, and the first valid context wins:
// a corrupt header in one format does not hide a valid context in a later
// one. The error says which: [opentracing.ErrSpanContextNotFound] when no
// listed format's headers are present, an error wrapping
// [opentracing.ErrSpanContextCorrupted] naming each corrupt format and what
// is wrong when some were present but none was valid. Error texts quote at
// most 64 bytes of a header.
//
// # Repeated headers and two spellings
//
// A TextMap or an http.Header is a map, whose order is random, and a message
// queue's headers may hold one name in two spellings (x-b3-traceid and
// X-B3-TraceId) that no proxy merged. So that Extract's result depends on
// neither that order nor a spelling a sender chose to win (past a proxy that
// replaced the other), only on the order of the values of one key:
//   - A header that should appear once, found with two different values
//     (repeated, or under two spellings), makes its format corrupt, with an
//     error naming the header and quoting neither value; as with any corrupt
//     format, a later listed one may still give the context. The same value
//     twice is read once. So for b3, each X-B3-* header (a lone X-B3-Sampled
//     too), uber-trace-id and the ot-tracer-* headers (ot-tracer-sampled
//     without ids is no context anyway). A jaeger-debug-id with two values is
//     ignored, as an invalid one is. Traceparent alone is refused twice even
//     with one value, as W3C requires.
//   - A list header, whose values are joined in order (tracestate, baggage,
//     jaeger-baggage), is read so when repeated under one name, as an
//     http.Header holds it (net/http makes one name of every spelling). Under
//     two spellings, its value is read once when they all hold the same one;
//     else none is read (no tracestate, no item of that header), and the
//     context still counts.
//   - A prefixed baggage header (baggage-KEY, ot-baggage-KEY, uberctx-KEY)
//     with two different values of a key gives no item of that key, as if
//     absent: the item of another header or format may then be read.
//
// Per format, on extraction:
//   - tracecontext accepts version 00 exactly, and a later version (01 to fe)
//     by its first 55 characters when a "-" or nothing follows them; lower-case
//     hex only; no zero ids; version ff is invalid. Flag bit 0 is sampled
//     (SamplingYes, else SamplingNo), bit 1 Level 2's random flag (Random).
//     The tracestate headers, joined with ",", are kept in TraceState when
//     valid (at most 32 members key=value, keys unique and as the W3C
//     grammar says), without empty members nor the white space around
//     members, which W3C allows and OpenTelemetry refuses; an invalid
//     tracestate is dropped,
//     silently: the traceparent still counts. Tracestate is read only with a
//     valid traceparent, and kept only when tracecontext gives the context.
//   - b3 and b3multi read alike: the single b3 header when it holds a valid
//     context, else the X-B3-* headers (as zipkin-go and OpenTelemetry's b3
//     propagator do). Ids may be unpadded (trace 1 to 32 hex digits, span and
//     parent 1 to 16, either case), as lightstep-tracer-go writes them.
//     X-B3-Sampled is "1", "0", "true" or "false" (empty: as if absent, as
//     is an empty X-B3-ParentSpanId); X-B3-Flags: 1 or a "d"
//     sampling state is SamplingDebug; none is SamplingDeferred. A header
//     with only a sampling decision ("b3: 0", a lone X-B3-Sampled) is no
//     context and not corrupt: Extract returns ErrSpanContextNotFound, with
//     the decision in the returned Sampling.
//   - jaeger reads uber-trace-id as jaeger-client-go does: the value
//     URL-decoded, four fields separated by ":", trace id of 1 to 32 hex
//     digits, span and parent ids of 1 to 16 (either case, unpadded or not),
//     flags a decimal byte (or, as
//     jaeger-client-go writes flags of 10 and more, 1 or 2 hex digits). Flag
//     bit 0 is sampled, bit 1 debug (when sampled); firehose (bit 3) is
//     dropped. A jaeger-debug-id header without uber-trace-id is, as for
//     jaeger-client-go, a caller forcing a new trace to be sampled, to find
//     it by that id: no context and not corrupt, Extract returns
//     ErrSpanContextNotFound with SamplingDebug in the returned Sampling and
//     the value in DebugID (for a tag on the trace's root span). The value is
//     URL-decoded as uber-trace-id's, and cut to 256 bytes on a UTF-8
//     boundary; an empty value, or one with invalid UTF-8 or a control
//     character (tab included), is ignored, and so is the header beside an
//     uber-trace-id, valid or corrupt, and whenever another listed format
//     gives a valid context or is corrupt. Of a lone B3 decision and a
//     jaeger-debug-id, the format listed first gives the decision.
//   - ottrace reads a trace id of 1 to 32 hex digits, a span id of 1 to 16
//     (either case, unpadded or not), and ot-tracer-sampled "true", "false",
//     "1" or "0", case aside (absent or empty: deferred).
//
// # Injection
//
// [Propagator.Inject] writes every listed format, with lower-case header
// names and padded lower-case hex ids: trace ids in 16 digits, or 32 when
// TraceIDHigh is not 0; span ids in 16. A context that is not valid writes
// no context format (W3C baggage is still written). DebugID is never
// written: jaeger-debug-id starts a trace, and the trace then carries its
// debug flag.
//   - tracecontext writes version 00 and flags 01 for SamplingYes and
//     SamplingDebug, 00 otherwise, plus 02 for Random (no other bit); a
//     64-bit trace id is padded to 32 digits with zeros. TraceState is
//     written as it is held, when not empty.
//   - b3 writes {traceid}-{spanid}-{1|0|d}[-{parentid}], the sampling state
//     (and then the parent id, which B3 allows only after one) left out when
//     deferred. b3multi writes X-B3-TraceId, X-B3-SpanId, X-B3-ParentSpanId
//     (when ParentID is not 0), X-B3-Sampled 1 or 0 (none when deferred) or,
//     for debug, X-B3-Flags: 1 and no X-B3-Sampled, as B3 says. Note that
//     lightstep-tracer-go's B3 propagator rejects X-B3-* without
//     X-B3-Sampled: a deferred or debug decision does not reach it.
//   - jaeger writes uber-trace-id as jaeger-client-go does, flags 1 for
//     sampled, 3 for debug, 0 for not sampled and for deferred.
//   - ottrace writes the low 64 bits of the trace id only, in 16 digits:
//     lightstep-tracer-go parses no more (a 32-digit id would break it) and
//     OpenTelemetry's ot propagator writes no more. The high half of a
//     128-bit trace id is lost across ottrace, and a trace id whose low half
//     is 0 is not written at all. ot-tracer-sampled is "true"
//     for sampled and debug, "false" for not sampled and for deferred
//     (lightstep-tracer-go requires the header).
//
// Only tracecontext carries tracestate; only b3 and b3multi carry a deferred
// decision; only B3 and jaeger carry debug and a parent id.
//
// # Baggage
//
// Baggage travels in these headers:
//   - baggage (format baggage): key=value members separated by ",";
//     properties after ";" are dropped; values are percent-decoded on
//     extraction (bytes that are not UTF-8 becoming U+FFFD) and
//     percent-encoded on injection (every byte outside W3C's baggage-octet,
//     "%" and "="). A malformed member is skipped. Several baggage headers
//     combine. Keys that are not tokens are not written, nor members of more
//     than 4096 bytes (which OpenTelemetry's Go SDK refused up to v1.38), nor
//     those past 180 members or 8192 bytes.
//   - baggage-KEY and ot-baggage-KEY (b3 and b3multi): each item is written
//     twice, as baggage-KEY (read by jaeger-client-go's B3 propagator and
//     traceplug's zipkin backend) and ot-baggage-KEY (read by
//     lightstep-tracer-go's B3 propagator); both are read, baggage- winning
//     a conflict. Values are sent as they are.
//   - uberctx-KEY (jaeger): values URL-escaped (url.QueryEscape) on injection
//     and URL-decoded on extraction, as jaeger-client-go's HTTPHeaders
//     propagator does (its TextMap propagator sends values as they are, so a
//     value holding "%" or "+" that it puts in a TextMap is misread). The
//     jaeger-baggage header ("k1=v1, k2=v2", URL-decoded as a whole) is read,
//     never written.
//   - ot-baggage-KEY (ottrace): values sent as they are, as
//     lightstep-tracer-go does (OpenTelemetry's ot propagator reads them
//     percent-encoded, and drops a value with a space or other character
//     outside W3C's baggage-octet).
//
// Header names fold case, so the keys of items read from prefixed headers
// are lower case, and are written in lower case. An item whose key is not a
// token is not written in a prefixed header, nor is, in b3, b3multi and
// ottrace (which send values as they are), a value that is not a valid header
// value (control characters, white space around it).
//
// Extract returns the baggage of every listed format, whichever format gave
// the context and even when none did: in list order, within a format in the
// order above (the items of prefixed headers sorted by key, headers having no
// order), the first item of a key winning; at most 180 items. W3C
// baggage keys keep their case, but an item of one format whose key differs
// only in case from one of an earlier format is dropped (prefixed headers
// fold case: "UserID" in baggage is "userid" in uberctx-userid). Past 180
// headers of one prefix, those of the smallest keys are read.
// ot-baggage- headers are read once when b3 and ottrace are both listed.
//
// # Performance
//
// A Propagator is an immutable value: parse the list once, when the
// configuration is read. Extract makes one pass over the carrier, looks at a
// name's first letter and length before comparing it, and allocates nothing
// for a request without trace headers, nor for a context without baggage,
// nor for a jaeger-debug-id of at most 256 bytes without "%" or "+".
package propagation
