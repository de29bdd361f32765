package gintrace_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/traceplug/traceplug/backends/mock" // also registers "mock" (a blank import does only that)
	"github.com/traceplug/traceplug/core"
	"github.com/traceplug/traceplug/routers/gintrace"
)

// Trace every request, each span named after the route gin matched. Here
// the tracer is on the mock backend, to print its spans; a service picks
// its backend by name (core.New("otel", ...), core.FromEnv()).
func ExampleMiddleware() {
	tracer, err := core.New("mock", core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	// snippet:readme
	engine := gin.New()
	engine.Use(gintrace.Middleware(tracer), gin.Recovery()) // first, so that its spans see Recovery's 500
	engine.GET("/items/:id", func(c *gin.Context) { c.String(http.StatusOK, "item %s", c.Param("id")) })
	api := engine.Group("/api")
	api.GET("/orders/:id", func(c *gin.Context) { c.AbortWithStatus(http.StatusForbidden) })
	// end snippet

	for _, path := range []string{"/items/42", "/api/orders/7", "/no/such/page"} {
		engine.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Printf("%-20s http.route=%-14v http.status_code=%v\n", s.Operation, s.Tags["http.route"], s.Tags["http.status_code"])
	}
	// Output:
	// GET /items/:id       http.route=/items/:id     http.status_code=200
	// GET /api/orders/:id  http.route=/api/orders/:id http.status_code=403
	// HTTP GET             http.route=<nil>          http.status_code=404
}

// With trace-all off (the default), only the routes decorated with Trace
// are traced, with the decorator's attributes. Middleware still passes an
// incoming trace on from the others.
func ExampleTrace() {
	tracer, err := core.New("mock")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	engine := gin.New()
	engine.Use(gintrace.Middleware(tracer), gin.Recovery())
	engine.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	engine.POST("/orders/:id", gintrace.Trace(tracer, "path", "method"), func(c *gin.Context) {
		c.JSON(http.StatusCreated, gin.H{"id": c.Param("id")})
	})

	engine.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))
	engine.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/orders/9", nil))
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["path"], s.Tags["method"], s.Tags["http.status_code"])
	}
	// Output:
	// POST /orders/:id /orders/9 POST 201
}

// A handler reaches its request's span from the *gin.Context, to tag it,
// log to it, or start child spans.
func ExampleSpan() {
	tracer, err := core.New("mock", core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	engine := gin.New()
	engine.Use(gintrace.Middleware(tracer), gin.Recovery())
	engine.GET("/carts/:id", func(c *gin.Context) {
		if span := gintrace.Span(c); span != nil {
			span.SetTag("cart.id", c.Param("id"))
			span.LogKV("event", "cache miss")
		}
		c.String(http.StatusOK, "cart")
	})

	engine.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/carts/c-17", nil))
	s := tracer.Unwrap().(*mock.Tracer).FinishedSpans()[0]
	fmt.Println(s.Operation, s.Tags["cart.id"], s.Logs[0].Fields["event"])
	// Output:
	// GET /carts/:id c-17 cache miss
}

// The engine wrapped whole in the same Tracer's Middleware too, to trace
// the redirects gin answers before any handler runs: still one span a
// request, named after the route.
func ExampleMiddleware_engineWrappedWhole() {
	tracer, err := core.New("mock", core.WithTraceAll(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tracer.Close()

	engine := gin.New()
	engine.Use(gintrace.Middleware(tracer), gin.Recovery())
	engine.GET("/items/:id", func(c *gin.Context) { c.String(http.StatusOK, "item") })
	handler := tracer.Middleware(engine)

	for _, path := range []string{"/items/42", "/items/42/"} {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code)
	}
	for _, s := range tracer.Unwrap().(*mock.Tracer).FinishedSpans() {
		fmt.Println(s.Operation, s.Tags["http.status_code"])
	}
	// Output:
	// /items/42 200
	// /items/42/ 301
	// GET /items/:id 200
	// HTTP GET 301
}
