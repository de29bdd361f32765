// Command sink is the loopback benchmark's collector (../../loopback.sh), in
// a process of its own: it accepts jaeger UDP and HTTP thrift, zipkin JSON
// and OTLP/HTTP, counts the spans and throws them away (see [loop.Sink]).
//
// It prints "UDPADDR HTTPADDR" on its first line, then serves until it is
// sent SIGTERM or SIGINT; GET /stats on the HTTP address answers
// "spans N packets N bytes N errors N".
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/traceplug/traceplug/bench/internal/loop"
)

func main() {
	s, err := loop.NewSink()
	if err != nil {
		log.Fatalf("sink: %v", err)
	}
	a := s.Addrs()
	fmt.Println(a.UDP, a.HTTP)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	s.Close()
}
