module github.com/traceplug/traceplug

go 1.26.8

require (
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/opentracing/opentracing-go v1.2.0 // indirect
	go.uber.org/goleak v1.3.0 // indirect
)
