package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/v*/sampling-*.json are the answers of each version's sampling
// endpoint (127.0.0.1:5778/sampling?service=…) to scripts/jaeger.sh's
// strategies and a file of the test's (per-operation: a service at 0 with
// GET /healthz at 0 and GET /search at 0.25; ratelimiting: 2 traces a
// second), and, started with JAEGER_SAMPLING=adaptive, for a new service.
func TestParseStrategy(t *testing.T) {
	for _, v := range []Version{V1, V2} {
		for _, tc := range []struct {
			file, want string
			adaptive   bool
			ops        map[string]float64
		}{
			{file: "sampling-default.json", want: "PROBABILISTIC 1"},
			{file: "sampling-per-operation.json",
				want: `PROBABILISTIC 0, per operation: default 0, lower bound 0/s, "GET /healthz" 0, "GET /search" 0.25`,
				ops:  map[string]float64{"GET /healthz": 0, "GET /search": 0.25}},
			{file: "sampling-ratelimiting.json", want: "RATE_LIMITING 2/s"},
			{file: "sampling-adaptive-new.json", want: "PROBABILISTIC, per operation: default 0.1, lower bound 0.016666666666666666/s", adaptive: true},
		} {
			t.Run(string(v)+"/"+tc.file, func(t *testing.T) {
				f, err := os.Open(filepath.Join("testdata", string(v), tc.file))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				s, err := ParseStrategy(f)
				if err != nil {
					t.Fatal(err)
				}
				if got := s.String(); got != tc.want {
					t.Errorf("got  %s\nwant %s", got, tc.want)
				}
				if got := s.LooksAdaptive(); got != tc.adaptive {
					t.Errorf("looks adaptive: %v, want %v", got, tc.adaptive)
				}
				for op, want := range tc.ops {
					if got, ok := s.Operation(op); !ok || got != want {
						t.Errorf("Operation(%q) = %v, %v; want %v, true", op, got, ok, want)
					}
				}
				if _, ok := s.Operation("GET /other"); ok {
					t.Error(`Operation("GET /other") is listed`)
				}
			})
		}
	}
}

func TestStrategyType(t *testing.T) {
	for in, want := range map[string]strategyType{`"PROBABILISTIC"`: "PROBABILISTIC", `0`: "PROBABILISTIC", `1`: "RATE_LIMITING", `"RATE_LIMITING"`: "RATE_LIMITING"} {
		var got strategyType
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
	var got strategyType
	if err := json.Unmarshal([]byte(`{}`), &got); err == nil {
		t.Errorf("{}: %q, want an error", got)
	}
}

// The strategies file the tests write is the one Jaeger reads: this is
// scripts/sampling-strategies.json's shape, written back unchanged.
func TestStrategiesFile(t *testing.T) {
	data, err := os.ReadFile("../scripts/sampling-strategies.json")
	if err != nil {
		t.Fatal(err)
	}
	var s Strategies
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	if s.Default == nil || s.Default.Type != "probabilistic" || s.Default.Param != 1 {
		t.Errorf("scripts/sampling-strategies.json: default %+v, want probabilistic 1 (every e2e test reads every span)", s.Default)
	}
	s.Services = append(s.Services, ServiceStrategy{Service: "svc", Type: "probabilistic", Param: 0,
		Operations: []OperationStrategy{{Operation: "GET /x", Type: "probabilistic", Param: 1}}})
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"default_strategy":{"type":"probabilistic","param":1},"service_strategies":[{"service":"svc","type":"probabilistic","param":0,"operation_strategies":[{"operation":"GET /x","type":"probabilistic","param":1}]}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "strategies.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("read %q, %v; want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 {
		t.Errorf("the folder holds %s, want only strategies.json", strings.Join(names, ", "))
	}
}
