package core

import (
	"fmt"
	"sync"
	"testing"
)

// TestRouteNameCache: route names come out the same from the cache as
// built, for more routes than it has slots, from concurrent requests, and
// within the tag length cap.
func TestRouteNameCache(t *testing.T) {
	tr := &Tracer{redact: &redactor{maxLen: 40}}
	methods := []string{"GET", "HEAD", "POST", "BREW", "get"}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for i := 0; i < 3*len(routeCache{}); i++ {
					for _, m := range methods {
						pattern := fmt.Sprintf("/items/%d/{id}", i)
						if i%5 == 0 {
							pattern = "GET " + pattern + "/with/a/long/tail/that/the/cap/cuts"
						}
						want := tr.redact.cap(patternName(m, pattern))
						if got := tr.routeName(m, pattern); got != want {
							t.Errorf("routeName(%q, %q) = %q, want %q", m, pattern, got, want)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := tr.routeName("BREW", "/x"); got != "_OTHER /x" {
		t.Errorf("an unknown method names %q, want \"_OTHER /x\"", got)
	}
}
