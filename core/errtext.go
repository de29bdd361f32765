package core

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/traceplug/traceplug/backend"
	"github.com/traceplug/traceplug/internal/textutil"
)

// suggest returns the candidate closest to name, for a "did you mean" in an
// error: [textutil.Suggest].
func suggest(name string, candidates []string) string { return textutil.Suggest(name, candidates) }

// capString returns s cut to at most n bytes (on a rune boundary), marked
// with "…" when cut, for quoting untrusted input in an error.
func capString(s string, n int) string { return textutil.Cap(s, n) }

// modulePath is the root module's import path, for import hints.
const modulePath = "github.com/traceplug/traceplug"

// builtinBackends are the names of traceplug's own backends, each in the
// package modulePath/backends/<name>, for the import hint of an unknown
// backend name.
var builtinBackends = []string{"console", "jaeger", "lightstep", "mock", "none", "otel", "zipkin"}

// unknownBackend is the error for a backend name that nothing registered:
// it names the backend, says what is registered, and suggests what was
// probably meant: a registered name spelt differently, or the blank import
// of a built-in backend that is not linked. source says where the name came
// from (" in TRACEPLUG_BACKEND"), or is "".
func unknownBackend(name, source string, registered []string) error {
	shown := strconv.Quote(capString(name, 100))
	list := "no backends registered"
	if len(registered) > 0 {
		list = "registered: " + strings.Join(registered, ", ")
	}
	var hint string
	switch builtin := suggest(name, builtinBackends); {
	case name == "":
		hint = "the name is empty"
	case suggest(name, registered) != "":
		hint = fmt.Sprintf("did you mean %q?", suggest(name, registered))
	case builtin != "" && builtin != name:
		hint = fmt.Sprintf("did you mean %q? it needs import _ %q", builtin, modulePath+"/backends/"+builtin)
	case builtin != "":
		hint = fmt.Sprintf("forgotten import _ %q?", modulePath+"/backends/"+builtin)
	default:
		hint = fmt.Sprintf("forgotten import of its package? traceplug's own are %s, each in %s/backends/<name>",
			strings.Join(builtinBackends, ", "), modulePath)
	}
	return fmt.Errorf("%w %s%s (%s; %s)", ErrUnknownBackend, shown, source, list, hint)
}

// unknownAttribute is the error for a traced attribute name that does not
// exist: it lists the valid names and suggests the closest.
func unknownAttribute(prefix, name string) error {
	hint := ""
	if s := suggest(name, TracedAttributes()); s != "" {
		hint = fmt.Sprintf("; did you mean %q?", s)
	}
	return backend.BadOptionf("%sunknown traced attribute %q (valid: %s%s)",
		prefix, capString(name, 100), strings.Join(TracedAttributes(), ", "), hint)
}
