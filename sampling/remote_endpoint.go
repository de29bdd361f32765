package sampling

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/traceplug/traceplug/internal/redact"
)

// remoteEndpoint is where a Jaeger remote sampler fetches its strategy.
type remoteEndpoint struct {
	fetch  string // the URL requested: with its userinfo, and the service in the query
	public string // scheme://host/path, without userinfo or query: for logs, errors and Status
}

// Jaeger's gRPC sampling ports, which an HTTP client cannot speak to: the
// collector's (also OpenTelemetry's default endpoint for jaeger_remote) and
// Jaeger v2's remote_sampling extension's.
var grpcSamplingPorts = map[string]bool{"14250": true, "5779": true}

// parseRemoteEndpoint checks raw (the default endpoint when empty) and
// returns the URL that fetches service's strategy: a path of "" or "/"
// becomes "/sampling", the agent's and Jaeger v2's path on port 5778; any
// other path (such as the collector's /api/sampling on 14268) is kept, as
// are query parameters other than service.
func parseRemoteEndpoint(raw, service string) (remoteEndpoint, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = defaultJaegerRemoteEndpoint
	}
	shown := capText(redact.Endpoint(raw))
	const want = "an HTTP URL such as http://localhost:5778/sampling (Jaeger agent or v2) or http://jaeger-collector:14268/api/sampling"
	if !strings.Contains(raw, "://") {
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q has no scheme: write http://%s, %s", shown, strings.TrimPrefix(shown, "//"), want)
	}
	u, err := url.Parse(raw)
	if err != nil { // its text would repeat raw, secrets and all
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q is not a valid URL: write %s", shown, want)
	}
	if redact.Ambiguous(raw) { // a password holding "#" or "?" parses as another host
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q: %s", shown, redact.AmbiguousHint)
	}
	if u.Hostname() == "" {
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q has no host: write %s", shown, want)
	}
	if grpcSamplingPorts[u.Port()] || u.Scheme == "grpc" || u.Scheme == "grpcs" {
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q is a gRPC sampling endpoint, which is not supported: use the HTTP one on the same host, http://%s/sampling",
			shown, joinHostPort(u.Hostname(), "5778"))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return remoteEndpoint{}, fmt.Errorf("sampling: jaeger remote endpoint %q: scheme %q is not supported: write %s", shown, capText(u.Scheme), want)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path, u.RawPath = "/sampling", ""
	}
	u.Fragment, u.RawFragment = "", ""
	q := u.Query()
	q.Set("service", service)
	u.RawQuery = q.Encode()
	pub := *u
	pub.User, pub.RawQuery, pub.ForceQuery = nil, "", false
	return remoteEndpoint{fetch: u.String(), public: pub.String()}, nil
}

// joinHostPort joins host and port, bracketing an IPv6 host.
func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}
