// Package redact hides the credentials a collector's endpoint may carry
// (userinfo, query values) from the log lines and errors that show it. Every
// backend shows endpoints through [Endpoint], so that one rule holds
// everywhere: in New's errors for a bad endpoint, in the log line of a failed
// export, and in Shutdown's error.
package redact

import (
	"net/url"
	"strings"
)

// Redacted stands in for what was hidden.
const Redacted = "REDACTED"

// Endpoint returns raw, an endpoint as the user wrote it (valid or not: a
// URL, "host:port", "udp://host:port"), fit to show in a log line or an
// error. It works on the text, without parsing it as a URL, because a
// password holding "%", "#", "?" or "/" either fails to parse or parses as
// something else ("http://u:12#34@h" parses as host "u", port 12).
//
// The rule:
//   - The userinfo is everything from the start of the authority (after
//     "scheme://", else the start of raw) to the last "@": it is replaced by
//     "REDACTED@", user name included (a user name can be a token). The
//     reader sees that credentials were given, and none of them.
//   - The fragment is dropped, and every query value is REDACTED (a pair
//     without "=" whole): "?api_key=REDACTED&REDACTED". Keys stay, to say
//     which setting was given. The path is shown as it is.
//   - When a "?" or "#" comes before that last "@", the text cannot say
//     whether the "@" ends a password holding "?" or "#", or sits in a query
//     or fragment: everything after "scheme://" is then hidden
//     ("http://REDACTED"), since either reading would show the other's
//     secret.
//
// Endpoint returns raw itself when it holds neither "@" nor "?" nor "#". It
// is idempotent.
func Endpoint(raw string) string {
	if strings.IndexAny(raw, "@?#") < 0 {
		return raw
	}
	head, rest := split(raw)
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if ambiguous(rest, at) {
			return head + Redacted
		}
		if at > 0 {
			head += Redacted
		}
		head += "@"
		rest = rest[at+1:]
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	path, query, ok := strings.Cut(rest, "?")
	if !ok {
		return head + path
	}
	return head + path + "?" + redactQuery(query)
}

// Ambiguous reports whether raw can be read two ways, which [Endpoint] then
// hides whole: an "@" after a "?" or "#" ends a password holding them, or
// sits in a query or fragment. net/url takes the second reading
// ("http://u:12#34@h/" is host u, port 12, and a fragment), so such an
// endpoint would not reach the host meant, and the URL built from it would
// show the credentials' first part as a host. A backend rejects it: a "?" or
// "#" in a password is written %3F or %23.
func Ambiguous(raw string) bool {
	_, rest := split(raw)
	return ambiguous(rest, strings.LastIndexByte(rest, '@'))
}

// AmbiguousHint says, in an error, what is wrong with an endpoint that is
// [Ambiguous].
const AmbiguousHint = `an "@" follows a "?" or "#" (in a password, write them %3F and %23)`

// InvalidHint says, in an error, what is wrong with raw, an endpoint that
// net/url cannot parse (and whose error would repeat it whole): not a
// valid URL, and when it holds credentials, how a password writes "%".
func InvalidHint(raw string) string {
	if strings.IndexByte(raw, '@') >= 0 {
		return `not a valid URL (in a password, write "%" as %25)`
	}
	return "not a valid URL"
}

func ambiguous(rest string, at int) bool {
	q := strings.IndexAny(rest, "?#")
	return at >= 0 && q >= 0 && q < at
}

// split returns raw's "scheme://" (or "//", or nothing), and the rest,
// which starts with the authority.
func split(raw string) (head, rest string) {
	start := 0
	if i := strings.Index(raw, "//"); i >= 0 && (i == 0 || raw[i-1] == ':' && isScheme(raw[:i-1])) {
		start = i + 2
	}
	return raw[:start], raw[start:]
}

// redactQuery returns q with every value REDACTED, and every pair without
// "=" whole; "&" and ";" separate pairs.
func redactQuery(q string) string {
	var b strings.Builder
	b.Grow(len(q) + len(Redacted))
	for q != "" {
		pair, sep := q, ""
		if i := strings.IndexAny(q, "&;"); i >= 0 {
			pair, sep, q = q[:i], q[i:i+1], q[i+1:]
		} else {
			q = ""
		}
		switch key, value, ok := strings.Cut(pair, "="); {
		case pair == "":
		case !ok:
			b.WriteString(Redacted)
		case value == "":
			b.WriteString(pair)
		default:
			b.WriteString(key)
			b.WriteString("=" + Redacted)
		}
		b.WriteString(sep)
	}
	return b.String()
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// URLCause returns the cause of err when err is a *url.Error, as net/http's
// client returns it: its text repeats the request's URL, and Go hides only
// the password there ("user:***@"), leaving the user name and the query,
// secrets and all. A message then names the endpoint through [Endpoint]
// itself. Other errors are returned as they are.
func URLCause(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
