module github.com/traceplug/traceplug/backends/jaeger

go 1.26.0

require (
	github.com/opentracing/opentracing-go v1.2.0
	github.com/traceplug/traceplug v0.0.0-00010101000000-000000000000
	github.com/uber/jaeger-client-go v2.30.0+incompatible
	github.com/uber/jaeger-lib v2.4.1+incompatible
	go.uber.org/goleak v1.3.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/traceplug/traceplug => ../..
