package core

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file hides secrets from tags: which header names and query keys are
// secret, which values look like credentials whatever their name, and the
// redaction of queries, URLs, request targets and header values. It also
// bounds the work: tags are capped ([WithMaxTagLength]), so nothing past the
// cap is read, however large the request.

// redacted replaces secret values in tags.
const redacted = "REDACTED"

// ellipsis ends a value cut to the tag length cap.
const ellipsis = "..."

// lookahead is how far past the cap a value is read, so that a credential
// that begins before the cap is recognised (a JWT by its first two
// segments, say).
const lookahead = 256

// DefaultRedactedHeaders returns the default header-name substrings whose
// values never reach a tag: a header is redacted when its lower-cased name
// contains one of them. They cover Authorization, Proxy-Authorization, Cookie,
// Set-Cookie, API keys, tokens, sessions, passwords and passphrases,
// signatures and HMACs (X-Hub-Signature, X-Shopify-Hmac-Sha256), JWT
// assertions (X-Goog-Iap-Jwt-Assertion, Cf-Access-Jwt-Assertion), OIDC data
// (X-Amzn-Oidc-Data), DPoP proofs, SAML and tickets, and one-time passwords.
//
// Header values are also redacted by their shape, whatever the header's
// name: a value holding a JSON Web Token, or credentials after an
// authentication scheme ("Bearer ...", "Basic ..."). A URL-valued header
// (Referer, X-Original-Uri, ...) loses its userinfo and fragment and has the
// values of secret query keys redacted. See [WithRedactedHeaders].
func DefaultRedactedHeaders() []string {
	return []string{"auth", "cookie", "key", "token", "secret", "pass", "pwd", "session", "sig", "credential",
		"jwt", "assertion", "hmac", "oidc", "dpop", "saml", "ticket", "otp"}
}

// DefaultRedactedQueryKeys returns the default query-key substrings whose
// values are redacted from http.url and traced attributes: a key is redacted
// when, percent-decoded and case-folded, it contains one of them (so
// "access_token", "X-Amz-Signature", Azure's "sig", "t%6Fken", "SAMLResponse"
// and "client_assertion" all are). Both "&" and ";" separate keys, as
// [http.AllowQuerySemicolons] lets handlers read them. A value holding a JSON
// Web Token is redacted whatever its key. See [WithRedactedQueryKeys].
func DefaultRedactedQueryKeys() []string {
	return []string{"token", "pass", "pwd", "secret", "key", "sig", "auth", "session", "credential", "jwt", "code",
		"ticket", "saml", "assertion", "otp", "hmac"}
}

// redactor hides secrets in header values, query values and URLs. It is built
// once per Tracer and only read afterwards.
type redactor struct {
	headerSubs  []string  // lower-cased substrings of header names to redact
	querySubs   []string  // lower-cased substrings of query keys to redact
	queryIndex  *subIndex // querySubs by first byte
	headerIndex *subIndex // headerSubs by first byte
	maxLen      int       // tag length cap; 0: no cap
	maxHeaders  int       // headers rendered at most; 0: no cap
	// allowHeaders, when not nil, lists the only headers (canonical names)
	// whose values are tagged; the others are REDACTED. The redaction list
	// and the checks of values apply to allowed headers too.
	allowHeaders []string
}

// budget is how many bytes of a rendered value can show in a tag: one past
// the cap, so that a value over it is seen to be and marked as cut.
func (x *redactor) budget() int {
	if x.maxLen <= 0 {
		return math.MaxInt
	}
	return x.maxLen + 1
}

// window returns the part of s that can show in a tag starting at offset
// used of a rendered value, with the lookahead.
func (x *redactor) window(s string, used int) string {
	room := x.budget() - used
	if room < 0 {
		room = 0
	}
	if room < len(s)-lookahead {
		return s[:room+lookahead]
	}
	return s
}

// cap cuts s to the tag length cap: to at most maxLen bytes, ending in
// "..." (or in as much of it as fits), never inside a UTF-8 sequence. It
// does not allocate when s fits.
func (x *redactor) cap(s string) string {
	if x.maxLen <= 0 || len(s) <= x.maxLen {
		return s
	}
	if x.maxLen <= len(ellipsis) {
		return ellipsis[:x.maxLen]
	}
	cut := x.maxLen - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

func (x *redactor) secretHeader(name string) bool { return x.headerIndexed().containsFold(name) }

func (x *redactor) headerIndexed() *subIndex {
	if x.headerIndex == nil { // a redactor built without one (tests)
		return newSubIndex(x.headerSubs)
	}
	return x.headerIndex
}

// allowed reports whether the value of header name may be tagged.
func (x *redactor) allowed(name string) bool {
	if x.allowHeaders == nil {
		return true
	}
	for _, a := range x.allowHeaders {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// secretKey reports whether a query key, percent-decoded leniently (a bad
// escape is kept as it is, where url.QueryUnescape would give up on the whole
// key) and case-folded, contains an entry of the list. It does not allocate
// for a plain ASCII key.
func (x *redactor) secretKey(key string) bool {
	plain := true
	for i := 0; i < len(key); i++ {
		if c := key[i]; c == '%' || c == '+' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		return x.queryIndexed().containsFold(key)
	}
	return x.queryIndexed().containsFold(foldKey(key))
}

// unescapeLenient returns s percent-decoded as a query is ("+" is a space),
// invalid escapes kept as they are.
func unescapeLenient(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// foldKey returns key percent-decoded ("+" is a space), with invalid escapes
// kept, and each rune that folds to an ASCII letter (the Kelvin sign, the
// long s) replaced by it, and the others lower-cased.
func foldKey(key string) string {
	s := unescapeLenient(key)
	out := make([]byte, 0, len(s))
	for s != "" {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(unicode.ToLower(r)))
		case r == utf8.RuneError && size == 1:
			out = append(out, '?')
		default:
			out = utf8.AppendRune(out, asciiFold(r))
		}
	}
	return string(out)
}

// asciiFold returns the ASCII letter r folds to (K for the Kelvin sign), or
// r lower-cased.
func asciiFold(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return unicode.ToLower(f)
		}
	}
	return unicode.ToLower(r)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// query returns raw, a URL's query, without a fragment (a raw client can send
// "#" in the request target, and net/http leaves it in the query) and with
// the values of secret keys redacted. It returns raw itself, or a prefix of
// it, without allocating, when nothing needs redacting.
func (x *redactor) query(raw string) string {
	if x.plainQuery(raw) {
		return raw
	}
	return x.pairs(raw, "&;#")
}

// ampKey returns the key that a parser splitting only at "&" reads in seg, a
// pair that starts with n bytes of key and no value before another separator
// (as in "pass;=S"): the key runs to the first "=" before the next "&" (or,
// when frag, "#"). It returns seg[:n] and false when there is no such "=".
func ampKey(seg string, n int, frag bool) (key string, hasValue bool) {
	if n >= len(seg) || seg[n] == '&' || frag && seg[n] == '#' {
		return seg[:n], false
	}
	for j := n + 1; j < len(seg); j++ {
		switch c := seg[j]; {
		case c == '=':
			return seg[:j], true
		case c == '&', frag && c == '#':
			return seg[:n], false
		}
	}
	return seg[:n], false
}

// plainQuery reports, cheaply, that raw needs neither redacting nor cutting:
// it fits the budget, has no fragment, no escaped or non-ASCII byte (keys
// are compared decoded), no token, and no secret key's substring anywhere.
func (x *redactor) plainQuery(raw string) bool {
	if len(raw) > x.budget() {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '%' || c == '+' || c == '#' || c >= utf8.RuneSelf {
			return false
		}
	}
	return strings.Index(raw, "eyJ") < 0 && !x.queryIndexed().containsFold(raw)
}

// pairs returns s, a list of key=value pairs separated by any byte of seps,
// with the values of secret keys, and values holding a JSON Web Token,
// REDACTED (and a pair whose key is a token, whole). The value of a secret
// key runs to the next "&": a parser that splits only at "&" reads the rest
// of the pair as part of the value, one that splits at ";" too reads other
// pairs, and both find it hidden. When seps holds "#", a "#" ends s (a
// URL's fragment follows).
//
// Only what can show in a tag is produced, and read (plus the lookahead): s
// itself, or a prefix, is returned, without allocating, when nothing there
// needs hiding.
func (x *redactor) pairs(s, seps string) string {
	budget := x.budget()
	frag := strings.IndexByte(seps, '#') >= 0
	amps := strings.IndexByte(seps, '&') >= 0
	var b []byte // the result so far, once something is redacted
	for i := 0; i < len(s); {
		used := i
		if b != nil {
			used = len(b)
		}
		if used >= budget {
			break
		}
		win := x.window(s[i:], used)
		n := indexSep(win, seps)
		complete := n >= 0 || len(win) == len(s)-i // the pair ends in the window
		if n < 0 {
			n = len(win)
		}
		pair := win[:n]
		key, val, hasValue := strings.Cut(pair, "=")
		if amps && !hasValue && complete && (i == 0 || s[i-1] == '&') {
			key, hasValue = ampKey(s[i:], n, frag)
		}
		keyJWT := hasJWT(key) // a token alone ("/login?eyJ...") is no key
		if keyJWT || hasValue && (x.secretKey(key) || valueJWT(val)) {
			if b == nil {
				b = make([]byte, 0, min(len(s), budget)+len(redacted))
				b = append(b, s[:i]...)
			}
			skip := i // the redacted part starts here
			if keyJWT {
				b = append(b, redacted...)
			} else {
				b = append(append(append(b, key...), '='), redacted...)
				skip += len(key) + 1
			}
			rest := s[skip:]
			amp := strings.IndexByte(rest, '&')
			if frag {
				value := rest
				if amp >= 0 {
					value = rest[:amp]
				}
				if strings.IndexByte(value, '#') >= 0 {
					break // a fragment begins in the value
				}
			}
			if amp < 0 {
				break
			}
			i = skip + amp + 1
			b = append(b, '&')
			continue
		}
		if !complete { // the pair runs past what can show, hiding nothing in it
			if b != nil {
				b = append(b, pair...)
			}
			break
		}
		end := i + n // the separator's index, or len(s)
		if frag && end < len(s) && s[end] == '#' {
			if b == nil {
				return s[:end]
			}
			b = append(b, pair...)
			break
		}
		if b != nil {
			b = append(b, pair...)
			if end < len(s) {
				b = append(b, s[end])
			}
		}
		i = end + 1
	}
	if b == nil {
		return s
	}
	return string(b)
}

// path returns a URL path as a tag shows it: without a fragment (which
// net/http leaves in the path of "GET /x#frag") and with JSON Web Tokens
// REDACTED. It returns p itself, or a prefix, when nothing needs redacting.
// Only what can show is read: the rest is cut from the tag anyway.
func (x *redactor) path(p string) string {
	w := x.window(p, 0)
	if i := strings.IndexByte(w, '#'); i >= 0 {
		p, w = p[:i], p[:i]
	}
	if i, _, found := findJWT(w); !found || i >= x.budget() {
		return p
	}
	if len(w) < len(p) {
		return redactJWTs(w) + ellipsis
	}
	return redactJWTs(w)
}

// url renders u as a tag shows it: without userinfo or fragment, JSON Web
// Tokens in the path and secret query values redacted, and no more of a
// long path or query than can show.
func (x *redactor) url(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User, c.Fragment, c.RawFragment, c.RawQuery, c.ForceQuery = nil, "", "", "", false
	c.Opaque, _, _ = strings.Cut(c.Opaque, "#")
	budget := x.budget()
	if p := x.path(c.Path); p != c.Path || len(p) > budget {
		if len(p) > budget {
			p = p[:budget]
		}
		c.Path, c.RawPath = p, ""
	}
	s := c.String()
	q := x.query(u.RawQuery)
	if q == "" && !u.ForceQuery {
		return s
	}
	return joinQuery(s, q, budget)
}

// joinQuery returns path+"?"+query, no longer than budget bytes (and so
// still over the cap when the whole would be).
func joinQuery(path, query string, budget int) string {
	if len(path) >= budget {
		return path
	}
	if len(path)+1+len(query) > budget {
		query = query[:budget-len(path)-1]
	}
	return path + "?" + query
}

// requestURI is the request target as the client sent it, as a tag shows it:
// without userinfo or fragment, with JSON Web Tokens in the path and secret
// query values redacted. It does not allocate for an origin-form target that
// needs nothing hidden.
func (x *redactor) requestURI(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" {
		return x.url(&url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery})
	}
	if x.plainTarget(uri) {
		return uri
	}
	if uri[0] != '/' && !strings.Contains(uri, "://") {
		// Authority form (CONNECT's "host:port"), which net/http also
		// takes with userinfo: the credentials go.
		if at := strings.LastIndexByte(uri, '@'); at >= 0 {
			uri = uri[at+1:]
		}
	}
	return x.urlString(uri)
}

// plainTarget reports, cheaply, that uri, a request target, is one that
// urlString returns unchanged: in origin form ("/p?q"), within the budget,
// with no fragment, no token, and a query of plain bytes (keys are compared
// decoded) holding no secret key's substring.
func (x *redactor) plainTarget(uri string) bool {
	if len(uri) == 0 || uri[0] != '/' || len(uri) > x.budget() {
		return false
	}
	q := len(uri) // where the query starts
	for i := 1; i < len(uri); i++ {
		switch targetBytes[uri[i]] {
		case 0:
		case '?':
			q = min(q, i+1)
		case '#':
			return false
		default: // an escape, a space or a non-ASCII byte: plain in the path only
			if i >= q {
				return false
			}
		}
	}
	return strings.Index(uri, "eyJ") < 0 && !x.queryIndexed().containsFold(uri[q:])
}

// targetBytes classifies the bytes of a request target for plainTarget: 0
// for most, the byte itself for '?' and '#', and '%' for those a query key
// is compared decoded for ('%', '+', and non-ASCII bytes).
var targetBytes = func() (t [256]byte) {
	t['?'], t['#'], t['%'], t['+'] = '?', '#', '%', '%'
	for c := utf8.RuneSelf; c < len(t); c++ {
		t[c] = '%'
	}
	return t
}()

// urlString redacts a URL held as a string, absolute ("https://u:p@h/p?q"),
// origin-form ("/p?q") or relative, as url does, without parsing it: a
// request target or a header value as it came. It returns s itself, or a
// prefix, without allocating, when nothing needs hiding, and reads only
// what can show.
func (x *redactor) urlString(s string) string {
	budget := x.budget()
	head, rest, changed := "", s, false // head: scheme://authority, without userinfo
	if i := strings.Index(x.window(s, 0), "://"); i > 0 && isScheme(s[:i]) {
		authority := s[i+3:]
		if end := strings.IndexAny(authority, "/?#"); end >= 0 {
			authority = authority[:end]
		}
		head, rest = s[:i+3+len(authority)], s[i+3+len(authority):]
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			head, changed = s[:i+3]+authority[at+1:], true
		}
	}
	path, query, hasQuery := rest, "", false
	if end := strings.IndexAny(x.window(rest, len(head)), "?#"); end >= 0 {
		path = rest[:end]
		if rest[end] == '?' {
			query, hasQuery = rest[end+1:], true
		} else {
			changed = true // a fragment, dropped
		}
	}
	p := x.path(path)
	changed = changed || p != path
	if !hasQuery || len(head)+len(p) >= budget {
		if !changed {
			return s
		}
		if len(head)+len(p) > budget {
			p = p[:max(0, budget-len(head))]
		}
		return head + p
	}
	q := x.query(query)
	if !changed && len(q) <= len(query) && q == query[:len(q)] { // query itself, or up to a fragment
		return s[:len(s)-len(query)+len(q)]
	}
	return joinQuery(head+p, q, budget)
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// headerValue returns the value of header name as a tag shows it:
// REDACTED when the name is on the redaction list, or not on the allowlist,
// or the value holds credentials (a JSON Web Token, or a scheme's
// credentials such as "Bearer ..."); a URL-valued header redacted as a URL;
// key=value pairs with the values of secret keys redacted. It returns v
// itself, without allocating, when nothing needs hiding.
func (x *redactor) headerValue(name, v string) string {
	if x.secretHeader(name) || !x.allowed(name) {
		return redacted
	}
	w := x.window(v, 0)
	if hasJWT(w) || hasCredentials(w) {
		return redacted
	}
	if isURLValue(w) {
		return x.urlString(v)
	}
	if strings.IndexByte(w, '=') >= 0 {
		return x.pairs(v, "&;,")
	}
	return v
}

// isURLValue reports whether a header value looks like a URL: a path, or
// an absolute URL.
func isURLValue(v string) bool {
	if strings.HasPrefix(v, "/") {
		return true
	}
	i := strings.Index(v, "://")
	return i > 0 && isScheme(v[:i])
}

// findJWT returns the bounds of the first JSON Web Token in s: base64url
// segments joined by ".", the first a JSON object ("eyJ", `{"`), followed by
// another JSON object (a JWS's claims) or by two more segments (a JWE, or a
// JWS with other claims). It reads s once.
func findJWT(s string) (start, end int, found bool) {
	for off := 0; off < len(s); {
		k := strings.Index(s[off:], "eyJ")
		if k < 0 {
			return 0, 0, false
		}
		start = off + k
		n := b64urlRun(s[start:])
		if n >= 10 && start+n < len(s) && s[start+n] == '.' {
			p := start + n + 1
			m := b64urlRun(s[p:])
			if m >= 3 && strings.HasPrefix(s[p:], "eyJ") || m >= 2 && p+m < len(s) && s[p+m] == '.' {
				end = p + m
				for end < len(s) && (isB64url(s[end]) || s[end] == '.') {
					end++
				}
				return start, end, true
			}
		}
		off = start + n // a later start in the same run ends the same way
	}
	return 0, 0, false
}

// valueJWT reports whether a query value holds a JSON Web Token, as it
// comes or as the application reads it, percent-decoded ("%2E" for ".").
func valueJWT(v string) bool {
	return hasJWT(v) || len(v) >= minJWT && strings.IndexByte(v, '%') >= 0 && hasJWT(unescapeLenient(v))
}

// hasJWT reports whether s holds a JSON Web Token (findJWT).
func hasJWT(s string) bool {
	if len(s) < minJWT {
		return false
	}
	_, _, found := findJWT(s)
	return found
}

// redactJWTs returns s with each JSON Web Token replaced by REDACTED.
func redactJWTs(s string) string {
	var b strings.Builder
	for {
		i, j, found := findJWT(s)
		if !found {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(redacted)
		s = s[j:]
	}
}

func b64urlRun(s string) int {
	n := 0
	for n < len(s) && isB64url(s[n]) {
		n++
	}
	return n
}

func isB64url(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// authSchemes are HTTP authentication schemes whose credentials follow them
// in a header value: found in any header, they are redacted.
var authSchemes = []string{"bearer", "basic", "digest", "negotiate", "ntlm", "dpop"}

// hasCredentials reports whether v holds an authentication scheme's
// credentials: the scheme as a word, a space, and a credential: for Basic,
// base64 of "user:password", or a long mixed token; for the others, at
// least 8 characters.
func hasCredentials(v string) bool {
	// A scheme is a word that a space follows: look at the word before
	// each space, rather than at every byte.
	for off := 0; off < len(v); {
		k := strings.IndexByte(v[off:], ' ')
		if k < 0 {
			return false
		}
		sp := off + k
		off = sp + 1
		start := sp
		for start > 0 && sp-start <= schemeMax && isAlnum(v[start-1]) {
			start--
		}
		if start > 0 && isAlnum(v[start-1]) {
			continue // a word longer than any scheme
		}
		scheme := authScheme(v[start:sp])
		if scheme == "" {
			continue
		}
		cred := strings.TrimLeft(v[sp:], " ")
		n := 0
		for n < len(cred) && isToken68(cred[n]) {
			n++
		}
		if scheme == "basic" {
			if isBasicCredential(cred[:n]) || n >= 16 && charClasses(cred[:n]) >= 2 {
				return true
			}
		} else if n >= 8 {
			return true
		}
	}
	return false
}

// schemeStarts are the first letters of authSchemes, and schemeMin and
// schemeMax their shortest and longest lengths: most words are none of them
// by their first letter or length alone.
var schemeStarts, schemeMin, schemeMax = func() (starts [256]bool, lo, hi int) {
	lo = len(authSchemes[0])
	for _, s := range authSchemes {
		starts[s[0]], lo, hi = true, min(lo, len(s)), max(hi, len(s))
	}
	return starts, lo, hi
}()

// authScheme returns the authentication scheme word is, in any case, or "".
func authScheme(word string) string {
	if len(word) < schemeMin || len(word) > schemeMax || !schemeStarts[lower(word[0])] {
		return ""
	}
	for _, scheme := range authSchemes {
		if len(word) == len(scheme) && strings.EqualFold(word, scheme) {
			return scheme
		}
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isToken68 reports whether c may appear in RFC 9110's token68, the form of
// credentials, or in the auth-params some schemes use instead ("=", ",").
func isToken68(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~+/=", c) >= 0
}

// isBasicCredential reports whether s is base64 of "user:password".
func isBasicCredential(s string) bool {
	if len(s) < 4 || len(s) > 1024 {
		return false
	}
	var src [1024]byte
	var dst [768]byte
	n, err := base64.StdEncoding.Decode(dst[:], src[:copy(src[:], s)])
	return err == nil && bytes.IndexByte(dst[:n], ':') >= 0
}

// charClasses counts the classes of characters in s among lower-case,
// upper-case, digits and others.
func charClasses(s string) int {
	var seen [4]bool
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			seen[0] = true
		case 'A' <= c && c <= 'Z':
			seen[1] = true
		case '0' <= c && c <= '9':
			seen[2] = true
		default:
			seen[3] = true
		}
	}
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	return n
}

// subIndex is a list of lower-cased substrings, indexed so that finding one
// in a string costs a table lookup per byte: a bit for each substring's
// first two bytes (lower-cased), and the substrings by first byte, in both
// cases, for the full comparison when the bit is set.
type subIndex struct {
	pairs  [1 << 16 / 64]uint64
	first  [256][]string
	single bool // a one-byte substring: checked byte by byte
}

// lowerASCII maps each byte to its ASCII lower case.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = lower(byte(i))
	}
	return t
}()

func newSubIndex(list []string) *subIndex {
	x := &subIndex{}
	for _, sub := range list {
		switch {
		case sub == "":
			continue
		case len(sub) == 1:
			x.single = true
		default:
			k := uint16(lowerASCII[sub[0]])<<8 | uint16(lowerASCII[sub[1]])
			x.pairs[k>>6] |= 1 << (k & 63)
		}
		c := lower(sub[0])
		x.first[c] = append(x.first[c], sub)
		if 'a' <= c && c <= 'z' {
			x.first[c-'a'+'A'] = append(x.first[c-'a'+'A'], sub)
		}
	}
	return x
}

// containsFold reports whether s, with ASCII letters lower-cased, contains
// any of the indexed substrings. It does not allocate.
func (x *subIndex) containsFold(s string) bool {
	if x == nil {
		return false
	}
	if x.single {
		for i := 0; i < len(s); i++ {
			for _, sub := range x.first[s[i]] {
				if len(sub) == 1 {
					return true
				}
			}
		}
	}
	if len(s) < 2 {
		return false
	}
	prev := lowerASCII[s[0]]
	for i := 1; i < len(s); i++ {
		c := lowerASCII[s[i]]
		k := uint16(prev)<<8 | uint16(c)
		prev = c
		if x.pairs[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		at := s[i-1:]
		for _, sub := range x.first[at[0]] {
			if len(sub) >= 2 && lowerASCII[sub[1]] == c && len(sub) <= len(at) && strings.EqualFold(at[:len(sub)], sub) {
				return true
			}
		}
	}
	return false
}

func (x *redactor) queryIndexed() *subIndex {
	if x.queryIndex == nil { // a redactor built without one (tests)
		return newSubIndex(x.querySubs)
	}
	return x.queryIndex
}

// minJWT is the shortest text findJWT finds a token in: a run of at least 10
// base64url bytes starting "eyJ", a dot, 2 more, a dot.
const minJWT = 10 + 1 + 2 + 1

// indexSep is strings.IndexAny(s, seps) for the few ASCII separators pairs
// is given, without building a set on every call.
func indexSep(s, seps string) int {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(seps); j++ {
			if s[i] == seps[j] {
				return i
			}
		}
	}
	return -1
}
