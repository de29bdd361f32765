package lightstep

import "testing"

func TestRedactLiveTokensOnly(t *testing.T) {
	routeEvents("live-token-123")
	got := redact("report rejected for token live-token-123")
	forgetToken("live-token-123")
	if got != "report rejected for token REDACTED" {
		t.Fatalf("redact = %q", got)
	}
	if got := redact("old live-token-123"); got != "old live-token-123" {
		t.Fatalf("a forgotten token is still redacted: %q", got)
	}
}
