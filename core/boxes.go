package core

// Tag values boxed once: converting a string or a number to an interface for
// SetTag allocates, and these are on every request.
var statusBoxes [600]any

func init() {
	for i := range statusBoxes {
		statusBoxes[i] = uint16(i)
	}
}

// boxStatus returns status as the uint16 interface value that
// ext.HTTPStatusCode uses, without allocating.
func boxStatus(status int) any {
	if status >= 0 && status < len(statusBoxes) {
		return statusBoxes[status]
	}
	return uint16(status)
}
