package jaeger

import (
	"reflect"
	"unsafe"

	"github.com/opentracing/opentracing-go"
	jaeger "github.com/uber/jaeger-client-go"
)

// spanFields reads a jaeger-client-go span's tags, logs and references in
// place. jaeger-client-go has no accessor for them that keeps the tags'
// order without copying (Tags returns a map, Logs and References copies),
// and copying them into thrift structs (jaeger.BuildJaegerThrift) was a
// quarter of the reporter's cost and most of its allocations. The fields
// are unexported: their offsets and types are checked once, by reflection,
// against what this file expects of jaeger-client-go v2.30.0 (its last
// release: the project is archived); if they differ, ok is false and the
// senders encode spans from jaeger.BuildJaegerThrift instead, which is
// slower and the same on the wire. The caller holds the span's read lock.
type spanFields struct {
	ok                     bool
	tagsAt, logsAt, refsAt uintptr
}

// jaegerTag is the layout of jaeger-client-go's Tag.
type jaegerTag struct {
	key   string
	value any
}

var fields = layout()

func layout() *spanFields {
	f := &spanFields{}
	span := reflect.TypeFor[jaeger.Span]()
	at := func(name string, want reflect.Type) (uintptr, bool) {
		sf, ok := span.FieldByName(name)
		return sf.Offset, ok && len(sf.Index) == 1 && sf.Type == want
	}
	var ok [3]bool
	f.tagsAt, ok[0] = at("tags", reflect.TypeFor[[]jaeger.Tag]())
	f.logsAt, ok[1] = at("logs", reflect.TypeFor[[]opentracing.LogRecord]())
	f.refsAt, ok[2] = at("references", reflect.TypeFor[[]jaeger.Reference]())
	tag := reflect.TypeFor[jaeger.Tag]()
	var mirror jaegerTag
	f.ok = ok[0] && ok[1] && ok[2] &&
		tag.Size() == unsafe.Sizeof(mirror) && tag.NumField() == 2 &&
		tag.Field(0).Name == "key" && tag.Field(0).Type == reflect.TypeFor[string]() && tag.Field(0).Offset == unsafe.Offsetof(mirror.key) &&
		tag.Field(1).Name == "value" && tag.Field(1).Type == reflect.TypeFor[any]() && tag.Field(1).Offset == unsafe.Offsetof(mirror.value)
	return f
}

func (f *spanFields) tags(s *jaeger.Span) []jaegerTag {
	return *(*[]jaegerTag)(unsafe.Add(unsafe.Pointer(s), f.tagsAt))
}

func (f *spanFields) logs(s *jaeger.Span) []opentracing.LogRecord {
	return *(*[]opentracing.LogRecord)(unsafe.Add(unsafe.Pointer(s), f.logsAt))
}

func (f *spanFields) references(s *jaeger.Span) []jaeger.Reference {
	return *(*[]jaeger.Reference)(unsafe.Add(unsafe.Pointer(s), f.refsAt))
}
