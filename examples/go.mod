module github.com/traceplug/traceplug/examples

go 1.26.0

require (
	github.com/opentracing/opentracing-go v1.2.0
	github.com/traceplug/traceplug v0.0.0-00010101000000-000000000000
	github.com/traceplug/traceplug/backends/jaeger v0.0.0-00010101000000-000000000000
	github.com/traceplug/traceplug/backends/lightstep v0.0.0-00010101000000-000000000000
	github.com/traceplug/traceplug/backends/zipkin v0.0.0-00010101000000-000000000000
	go.uber.org/goleak v1.3.0
)

require (
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/lightstep/lightstep-tracer-common/golang/gogo v0.0.0-20210210170715-a8dfcb80d3a7 // indirect
	github.com/lightstep/lightstep-tracer-go v0.26.0 // indirect
	github.com/opentracing-contrib/go-observer v0.0.0-20170622124052-a52f23424492 // indirect
	github.com/openzipkin-contrib/zipkin-go-opentracing v0.5.0 // indirect
	github.com/openzipkin/zipkin-go v0.4.3 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/uber/jaeger-client-go v2.30.0+incompatible // indirect
	github.com/uber/jaeger-lib v2.4.1+incompatible // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/net v0.24.0 // indirect
	golang.org/x/sys v0.19.0 // indirect
	golang.org/x/text v0.14.0 // indirect
	google.golang.org/genproto v0.0.0-20240227224415-6ceb2ff114de // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20240227224415-6ceb2ff114de // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20240415180920-8c6c420018be // indirect
	google.golang.org/grpc v1.63.2 // indirect
	google.golang.org/protobuf v1.33.0 // indirect
)

replace github.com/traceplug/traceplug => ..

replace github.com/traceplug/traceplug/backends/jaeger => ../backends/jaeger

replace github.com/traceplug/traceplug/backends/zipkin => ../backends/zipkin

replace github.com/traceplug/traceplug/backends/lightstep => ../backends/lightstep
