package core

import "testing"

// TestSettingsEndpointIsRedacted: the endpoint a debug page shows has no
// userinfo, fragment, secret query value or JSON Web Token.
func TestSettingsEndpointIsRedacted(t *testing.T) {
	for endpoint, want := range map[string]string{
		"https://user:pa55@collector.example:4318/v1/traces?api_key=K3Y&region=eu#frag": "https://REDACTED@collector.example:4318/v1/traces?api_key=REDACTED&region=REDACTED",
		"http://user:12/ss@host/x":                                       "http://REDACTED@host/x",
		"http://user:s3#cret@h/v1":                                       "http://REDACTED",
		"http://h/v1?a=1;token=S3CRET&b=2":                               "http://h/v1?a=1;token=REDACTED&b=2",
		"http://h/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz": "http://h/REDACTED",
		"udp://127.0.0.1:6831":                                           "udp://127.0.0.1:6831",
		"stdout":                                                         "stdout",
		"":                                                               "",
	} {
		c, err := newConfig([]Option{WithEndpoint(endpoint), WithRedactedQueryKeys("region2")})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.settings().Endpoint; got != want {
			t.Errorf("endpoint %q shown as %q, want %q", endpoint, got, want)
		}
	}
}
