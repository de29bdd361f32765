package zipkin

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openzipkin/zipkin-go/model"
	zipkinreporter "github.com/openzipkin/zipkin-go/reporter"
)

// spanModels are spans of every shape the JSON can take: ids of 64 and 128
// bits, a parent or none, debug, shared, every kind, endpoints of every
// field (IPv4 in both of net.IP's forms, IPv6, a port alone), annotations,
// tags, and strings that encoding/json escapes.
func spanModels() []model.SpanModel {
	parent := model.ID(0x00f067aa0ba902b7)
	start := time.Unix(1_700_000_000, 123_456_789)
	tricky := "quote\" backslash\\ <html> & amp \b\f\n\r\t \x00\x1f \x7f ünïcødé \u2028\u2029 \xff\xfe invalid ✓"
	local := &model.Endpoint{ServiceName: "Shop-API", IPv4: net.IPv4(10, 0, 0, 7), Port: 8080}
	return []model.SpanModel{
		{
			SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 0x463ac35c9f6413ad}, ID: 0xa2fb4a1d1a96d312},
			Name:        "GET /items/{id}", Kind: model.Server, Timestamp: start, Duration: 1500 * time.Microsecond,
			LocalEndpoint: local,
			Tags:          map[string]string{"http.method": "GET", "http.url": "/items/42?page=2&sort=price", "component": "net/http", "http.status_code": "200"},
		},
		{
			SpanContext: model.SpanContext{TraceID: model.TraceID{High: 0x4bf92f3577b34da6, Low: 0xa3ce929d0e0e4736}, ID: 1, ParentID: &parent, Debug: true},
			Name:        "ÜPPER Ünïcødé " + tricky, Kind: model.Client, Timestamp: start.Add(499 * time.Nanosecond), Duration: 499 * time.Nanosecond,
			Shared:         true,
			LocalEndpoint:  &model.Endpoint{ServiceName: tricky, IPv4: net.IP{192, 168, 1, 2}, IPv6: net.ParseIP("2001:db8::1")},
			RemoteEndpoint: &model.Endpoint{Port: 443},
			Annotations: []model.Annotation{
				{Timestamp: start.Add(500 * time.Nanosecond), Value: "event:" + tricky},
				{Timestamp: start.Add(time.Millisecond), Value: "error:true"},
			},
			Tags: map[string]string{tricky: tricky, "": "empty key", "z": "", "a": "first", "B": "upper"},
		},
		{
			SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 1}, ID: 0xffffffffffffffff},
			Kind:        model.Producer, Duration: 0,
			LocalEndpoint:  &model.Endpoint{}, // empty: omitted
			RemoteEndpoint: &model.Endpoint{IPv6: net.ParseIP("::ffff:1.2.3.4")},
		},
		{
			SpanContext: model.SpanContext{TraceID: model.TraceID{Low: 2}, ID: 3},
			Name:        "consumer", Kind: model.Consumer, Timestamp: start, Duration: time.Hour + 999*time.Nanosecond,
			RemoteEndpoint: &model.Endpoint{ServiceName: "kafka", IPv6: net.ParseIP("fe80::1:2:3:4")},
			Annotations:    []model.Annotation{},
			Tags:           map[string]string{},
		},
	}
}

func TestJSONIsZipkinGos(t *testing.T) {
	spans := spanModels()
	ptrs := make([]*model.SpanModel, len(spans))
	for i := range spans {
		ptrs[i] = &spans[i]
		if err := check(&spans[i]); err != nil {
			t.Fatalf("span %d: %v", i, err)
		}
	}
	want, err := zipkinreporter.JSONSerializer{}.Serialize(ptrs)
	if err != nil {
		t.Fatal(err)
	}
	var w jsonWriter
	w.spans(spans)
	if !bytes.Equal(w.b, want) {
		t.Errorf("the JSON differs from zipkin-go's:\n got %s\nwant %s", w.b, want)
	}
	// And zipkin-go decodes it to the same spans.
	var got, wantSpans []model.SpanModel
	if err := json.Unmarshal(w.b, &got); err != nil {
		t.Fatalf("zipkin-go cannot decode the JSON: %v", err)
	}
	_ = json.Unmarshal(want, &wantSpans)
	for i := range wantSpans {
		g, _ := json.Marshal(got[i])
		wb, _ := json.Marshal(wantSpans[i])
		if !bytes.Equal(g, wb) {
			t.Errorf("span %d decodes as %s, want %s", i, g, wb)
		}
	}
}

func TestJSONRefusesWhatZipkinGoRefuses(t *testing.T) {
	for name, s := range map[string]model.SpanModel{
		"before 1970":       {Timestamp: time.Unix(-5, 0)},
		"negative duration": {Timestamp: time.Unix(5, 0), Duration: -time.Microsecond},
		"bad IP":            {LocalEndpoint: &model.Endpoint{IPv4: net.IP{1, 2, 3}}},
	} {
		_, zerr := zipkinreporter.JSONSerializer{}.Serialize([]*model.SpanModel{&s})
		if err := check(&s); err == nil || zerr == nil {
			t.Errorf("%s: check says %v, zipkin-go %v: want both to refuse", name, err, zerr)
		}
	}
}

func TestJSONAllocatesNothing(t *testing.T) {
	spans := spanModels()[:1]
	spans[0].Name = strings.ToUpper(spans[0].Name)
	var w jsonWriter
	w.spans(spans)
	if n := testing.AllocsPerRun(100, func() { w.b = w.b[:0]; w.spans(spans) }); n != 0 {
		t.Errorf("encoding a span allocates %v times", n)
	}
}
