package core

import "net/http"

// Tag values boxed once: converting a string or a number to an interface for
// SetTag allocates, and these are on every request.
var (
	methodBoxes = map[string]any{}
	statusBoxes [600]any
)

func init() {
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace} {
		methodBoxes[m] = m
	}
	for i := range statusBoxes {
		statusBoxes[i] = uint16(i)
	}
}

// boxMethod returns method as an interface, without allocating for the
// standard methods.
func boxMethod(method string) any {
	if b, ok := methodBoxes[method]; ok {
		return b
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
