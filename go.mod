module github.com/traceplug/traceplug

go 1.26.0

require (
	github.com/felixge/httpsnoop v1.1.0
	github.com/opentracing/opentracing-go v1.2.0
)

require (
	github.com/davecgh/go-spew v1.1.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/stretchr/testify v1.3.0 // indirect
)
