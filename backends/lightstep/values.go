package lightstep

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/opentracing/opentracing-go"
)

// lightstep-tracer-go encodes a tag's value in its report goroutine, where
// nothing recovers: a fmt.Stringer or error whose method panics (a nil
// pointer's) would end the program there, long after SetTag; and it casts
// unsigned integers to int64, so that a uint64 past MaxInt64 arrives
// negative. tagValue gives it values it encodes safely and truly.

// tagValue is value as lightstep-tracer-go should get it: strings, bools,
// integers and floats as they are (unsigned ones past MaxInt64 as decimal
// text), anything else as its fmt.Sprint text, which recovers a panicking
// String or Error method ("<nil>" for a nil pointer's).
func tagValue(value any) any {
	switch v := value.(type) {
	case string, bool, int, int64, int32, uint16, uint32, float64:
		return value
	case uint64:
		if v > math.MaxInt64 {
			return strconv.FormatUint(v, 10)
		}
		return value
	}
	switch rv := reflect.ValueOf(value); rv.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Float32, reflect.Float64:
		return value
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		if rv.Uint() > math.MaxInt64 {
			return strconv.FormatUint(rv.Uint(), 10)
		}
		return value
	}
	return fmt.Sprint(value)
}

// startOptions returns opts with their tags' values made safe (tagValue),
// and the span's start time, if an option sets one. opts is not changed: a
// changed option goes in a copy.
func startOptions(opts []opentracing.StartSpanOption) ([]opentracing.StartSpanOption, time.Time) {
	var start time.Time
	copied := false
	set := func(i int, o opentracing.StartSpanOption) {
		if !copied {
			opts, copied = append([]opentracing.StartSpanOption(nil), opts...), true
		}
		opts[i] = o
	}
	for i, o := range opts {
		switch o := o.(type) {
		case opentracing.StartTime:
			start = time.Time(o)
		case *opentracing.StartTime:
			start = time.Time(*o)
		case opentracing.Tag:
			if v := tagValue(o.Value); v != o.Value {
				set(i, opentracing.Tag{Key: o.Key, Value: v})
			}
		case *opentracing.Tag:
			if v := tagValue(o.Value); v != o.Value {
				set(i, opentracing.Tag{Key: o.Key, Value: v})
			}
		case opentracing.Tags:
			if !tagsSafe(o) {
				safe := make(opentracing.Tags, len(o))
				for k, v := range o {
					safe[k] = tagValue(v)
				}
				set(i, safe)
			}
		}
	}
	return opts, start
}

// tagsSafe reports whether every value of tags is as tagValue gives it.
func tagsSafe(tags opentracing.Tags) bool {
	for _, v := range tags {
		if tagValue(v) != v {
			return false
		}
	}
	return true
}
