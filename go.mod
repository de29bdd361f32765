module github.com/traceplug/traceplug

go 1.25.0

require (
	github.com/felixge/httpsnoop v1.1.0
	github.com/opentracing/opentracing-go v1.2.0
	go.uber.org/goleak v1.3.0
)
