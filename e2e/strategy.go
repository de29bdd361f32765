package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Strategy is a sampling strategy as Jaeger's HTTP sampling endpoint serves
// it (127.0.0.1:5778/sampling?service=…, on both versions): the JSON form of
// api_v2.SamplingStrategyResponse, whose strategyType is a name
// ("PROBABILISTIC") or, from older agents, a number.
type Strategy struct {
	StrategyType          strategyType `json:"strategyType"`
	ProbabilisticSampling *struct {
		SamplingRate float64 `json:"samplingRate"`
	} `json:"probabilisticSampling"`
	RateLimitingSampling *struct {
		MaxTracesPerSecond float64 `json:"maxTracesPerSecond"`
	} `json:"rateLimitingSampling"`
	OperationSampling *OperationStrategies `json:"operationSampling"`
}

// OperationStrategies is a strategy's per-operation part.
type OperationStrategies struct {
	DefaultSamplingProbability       float64 `json:"defaultSamplingProbability"`
	DefaultLowerBoundTracesPerSecond float64 `json:"defaultLowerBoundTracesPerSecond"`
	PerOperationStrategies           []struct {
		Operation             string `json:"operation"`
		ProbabilisticSampling struct {
			SamplingRate float64 `json:"samplingRate"`
		} `json:"probabilisticSampling"`
	} `json:"perOperationStrategies"`
}

// strategyType is PROBABILISTIC or RATE_LIMITING, read from a name or a
// number (0, 1).
type strategyType string

func (t *strategyType) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*t = strategyType(name)
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("e2e: strategyType %s is neither a name nor a number", b)
	}
	switch n {
	case 0:
		*t = "PROBABILISTIC"
	case 1:
		*t = "RATE_LIMITING"
	default:
		*t = strategyType(strconv.Itoa(n))
	}
	return nil
}

// Operation returns the probability the strategy gives op, and whether it
// lists op.
func (s Strategy) Operation(op string) (float64, bool) {
	if s.OperationSampling == nil {
		return 0, false
	}
	for _, o := range s.OperationSampling.PerOperationStrategies {
		if o.Operation == op {
			return o.ProbabilisticSampling.SamplingRate, true
		}
	}
	return 0, false
}

// LooksAdaptive reports whether s has the shape of adaptive sampling's
// answers: per-operation probabilities and no service-wide strategy (a
// strategies file's per-operation strategy comes with its service's
// probability).
func (s Strategy) LooksAdaptive() bool {
	return s.OperationSampling != nil && s.ProbabilisticSampling == nil && s.RateLimitingSampling == nil
}

// String says the strategy in a line, operations sorted, for logs and
// failure messages.
func (s Strategy) String() string {
	var b strings.Builder
	b.WriteString(string(s.StrategyType))
	if p := s.ProbabilisticSampling; p != nil {
		fmt.Fprintf(&b, " %g", p.SamplingRate)
	}
	if r := s.RateLimitingSampling; r != nil {
		fmt.Fprintf(&b, " %g/s", r.MaxTracesPerSecond)
	}
	if o := s.OperationSampling; o != nil {
		fmt.Fprintf(&b, ", per operation: default %g, lower bound %g/s", o.DefaultSamplingProbability, o.DefaultLowerBoundTracesPerSecond)
		var ops []string
		for _, op := range o.PerOperationStrategies {
			ops = append(ops, fmt.Sprintf("%q %g", op.Operation, op.ProbabilisticSampling.SamplingRate))
		}
		slices.Sort(ops)
		for _, op := range ops {
			b.WriteString(", " + op)
		}
	}
	return b.String()
}

// ParseStrategy reads a Strategy.
func ParseStrategy(r io.Reader) (Strategy, error) {
	var s Strategy
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return Strategy{}, fmt.Errorf("e2e: decoding a sampling strategy: %w", err)
	}
	return s, nil
}

// FetchStrategy asks Jaeger's sampling endpoint (such as
// http://127.0.0.1:5778/sampling) for service's strategy.
func FetchStrategy(ctx context.Context, client *http.Client, endpoint, service string) (Strategy, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", endpoint+"?"+url.Values{"service": {service}}.Encode(), nil)
	if err != nil {
		return Strategy{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return Strategy{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return Strategy{}, fmt.Errorf("e2e: %s: %s %q", endpoint, resp.Status, body)
	}
	return ParseStrategy(resp.Body)
}

// Strategies is a strategies file as Jaeger's file-based sampling reads it
// (v2's remote_sampling file.path, v1's --sampling.strategies-file).
type Strategies struct {
	Default  *ServiceStrategy  `json:"default_strategy,omitempty"`
	Services []ServiceStrategy `json:"service_strategies"`
}

// ServiceStrategy is one service's strategy in a Strategies file (or the
// default's, without Service). Type is "probabilistic" (Param the
// probability) or "ratelimiting" (Param the traces per second, a whole
// number).
type ServiceStrategy struct {
	Service    string              `json:"service,omitempty"`
	Type       string              `json:"type"`
	Param      float64             `json:"param"`
	Operations []OperationStrategy `json:"operation_strategies,omitempty"`
}

// OperationStrategy is an operation's probability in a ServiceStrategy.
// Jaeger takes only probabilistic ones.
type OperationStrategy struct {
	Operation string  `json:"operation"`
	Type      string  `json:"type"`
	Param     float64 `json:"param"`
}

// WriteFileAtomic replaces the file at path with data, by a rename in its
// folder, so that a reader (Jaeger, reloading every second) sees the old
// content or the new, never a part.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := io.Copy(tmp, bytes.NewReader(data)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
