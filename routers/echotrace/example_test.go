package echotrace_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/traceplug/traceplug/backends/mock" // also registers "mock" (a blank import does only that)
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/echotrace"
)

// Trace every request of an echo server: install the middleware with
// e.Use, before Recover. Spans are named after echo's routes; a request no
// route matches after its method.
func ExampleMiddleware() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	// snippet:readme
	e := echo.New()
	e.Use(echotrace.Middleware(tracer), middleware.Recover())
	e.GET("/items/:id", func(c echo.Context) error { return c.String(http.StatusOK, "an item") })
	e.GET("/orders/:id", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound, "no such order") })
	// end snippet

	for _, target := range []string{"/items/42", "/orders/7", "/nowhere"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", target, nil))
	}

	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Printf("%s route=%v status=%v\n", s.Operation, s.Tags["http.route"], s.Tags["http.status_code"])
	}
	// Output:
	// GET /items/:id route=/items/:id status=200
	// GET /orders/:id route=/orders/:id status=404
	// HTTP GET route=<nil> status=404
}

// Trace only chosen routes: with trace-all off (the default), the
// middleware traces nothing (it passes incoming traces on), and Trace, as
// route middleware, traces its route with the attributes it is given.
func ExampleTrace() {
	tracer, _ := core.New("mock")
	defer tracer.Close()

	e := echo.New()
	e.Use(echotrace.Middleware(tracer), middleware.Recover())
	e.POST("/checkout", func(c echo.Context) error { return c.String(http.StatusOK, "paid") },
		echotrace.Trace(tracer, "path", "method"))
	e.GET("/items/:id", func(c echo.Context) error { return c.String(http.StatusOK, "an item") })

	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/checkout", nil))
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))

	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["path"], s.Tags["method"])
	}
	// Output: POST /checkout /checkout POST
}

// A handler reaches its request's span from the echo.Context.
func ExampleSpan() {
	tracer, _ := core.New("mock", core.WithTraceAll(true))
	defer tracer.Close()

	e := echo.New()
	e.Use(echotrace.Middleware(tracer), middleware.Recover())
	e.GET("/items/:id", func(c echo.Context) error {
		if span := echotrace.Span(c); span != nil {
			span.SetTag("item.id", c.Param("id"))
		}
		return c.String(http.StatusOK, "an item")
	})

	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/items/42", nil))

	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["item.id"])
	}
	// Output: GET /items/:id 42
}
