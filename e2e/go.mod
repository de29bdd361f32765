module github.com/traceplug/traceplug/e2e

go 1.26.0

require (
	github.com/traceplug/traceplug v0.0.0-00010101000000-000000000000
	github.com/traceplug/traceplug/backends/jaeger v0.0.0-00010101000000-000000000000
	github.com/traceplug/traceplug/backends/zipkin v0.0.0-00010101000000-000000000000
)

require (
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/opentracing-contrib/go-observer v0.0.0-20170622124052-a52f23424492 // indirect
	github.com/opentracing/opentracing-go v1.2.0 // indirect
	github.com/openzipkin-contrib/zipkin-go-opentracing v0.5.0 // indirect
	github.com/openzipkin/zipkin-go v0.4.3 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/uber/jaeger-client-go v2.30.0+incompatible // indirect
	github.com/uber/jaeger-lib v2.4.1+incompatible // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.19.0 // indirect
	google.golang.org/grpc v1.63.2 // indirect
)

replace github.com/traceplug/traceplug => ..

replace github.com/traceplug/traceplug/backends/jaeger => ../backends/jaeger

replace github.com/traceplug/traceplug/backends/zipkin => ../backends/zipkin
