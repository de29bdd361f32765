package core

import "net/http"

// Tag values boxed once: converting a string or a number to an interface for
// SetTag allocates, and these are on every request.
var statusBoxes [600]any

func init() {
	for i := range statusBoxes {
		statusBoxes[i] = uint16(i)
	}
}

// boxMethod returns method as an interface, without allocating for the
// standard methods.
func boxMethod(method string) any {
	// Each case returns a constant, which converts to an interface without
	// allocating.
	switch method {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	}
	return method
}

// boxStatus returns status as the uint16 interface value that
// ext.HTTPStatusCode uses, without allocating.
func boxStatus(status int) any {
	if status >= 0 && status < len(statusBoxes) {
		return statusBoxes[status]
	}
	return uint16(status)
}
