package otlp

import (
	"strings"
	"testing"
)

// TestRegisterGRPC: a fresh hook has no gRPC client; registering one makes
// it the hook's; a nil constructor, or a second one (two copies of
// otlpgrpc linked), is an error that says so.
func TestRegisterGRPC(t *testing.T) {
	r := &transports{}
	if r.lookupGRPC() != nil {
		t.Fatal("a fresh hook has a gRPC client")
	}
	if err := r.registerGRPC(nil); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Errorf("registerGRPC(nil) = %v, want an error saying nil", err)
	}
	var f NewClient = func(*Settings) (Client, error) { return nil, nil }
	if err := r.registerGRPC(f); err != nil {
		t.Fatal(err)
	}
	if r.lookupGRPC() == nil {
		t.Error("the registered constructor is not the hook's")
	}
	if err := r.registerGRPC(f); err == nil || !strings.Contains(err.Error(), "two copies of github.com/traceplug/traceplug/backends/otel/otlpgrpc linked") {
		t.Errorf("a second registerGRPC = %v, want an error diagnosing two copies linked", err)
	}
}
