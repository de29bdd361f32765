package jaeger

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// resolveInterval is how often an agent given by host name is looked up
// again, as jaeger-client-go does (an agent's address can change, as a
// Kubernetes node's does).
const resolveInterval = 30 * time.Second

// agentConn is the UDP connection to a Jaeger agent, as jaeger-client-go's
// utils.AgentClientUDP keeps it, whose connection the senders cannot reach to
// write datagrams of their own: an IP address is dialed once; a host name is
// looked up again every resolveInterval, and after a failed write, and
// dialed anew when its address changed. It is safe for concurrent use.
type agentConn struct {
	hostPort string
	buffer   int // the socket's write buffer
	logger   logger

	mu   sync.RWMutex
	conn *net.UDPConn // nil until a lookup succeeds
	addr string

	stop chan struct{} // nil for an IP address: nothing to look up again
	done chan struct{}

	abortMu sync.Mutex
	aborted bool // refusedBy waits no more
}

func dialAgent(hostPort string, buffer int, logger logger) (*agentConn, error) {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, err
	}
	c := &agentConn{hostPort: hostPort, buffer: buffer, logger: logger}
	if net.ParseIP(host) != nil {
		if err := c.resolve(); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := c.resolve(); err != nil {
		logger.Error(fmt.Sprintf("agent %s: %v; trying again in %s", hostPort, err, resolveInterval))
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.resolveLoop()
	return c, nil
}

func (c *agentConn) resolveLoop() {
	defer close(c.done)
	t := time.NewTicker(resolveInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.resolve(); err != nil {
				c.logger.Error(fmt.Sprintf("agent %s: %v", c.hostPort, err))
			}
		}
	}
}

// resolve looks the agent up and dials it if its address changed.
func (c *agentConn) resolve() error {
	addr, err := net.ResolveUDPAddr("udp", c.hostPort)
	if err != nil {
		return err
	}
	c.mu.RLock()
	same := c.conn != nil && c.addr == addr.String()
	c.mu.RUnlock()
	if same {
		return nil
	}
	conn, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return err
	}
	if err := conn.SetWriteBuffer(c.buffer); err != nil {
		conn.Close()
		return err
	}
	c.mu.Lock()
	old := c.conn
	c.conn, c.addr = conn, addr.String()
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

var errNoAgent = errors.New("no address for the agent yet")

// Write sends one datagram, and reports whether the kernel said that a
// datagram sent before it was refused.
//
// A datagram to a port where nothing listens is answered with an ICMP port
// unreachable, which Linux keeps on the connected socket as ECONNREFUSED and
// returns from the socket's next send (or receive) in place of it: the
// write that reports a refusal sent nothing, and is made again. For an agent
// given by name, a failed write looks the name up again first (the agent
// may have moved), and, if that succeeds, tries once more too.
func (c *agentConn) Write(b []byte) (refused bool, err error) {
	_, err = c.write(b)
	if err == nil {
		return false, nil
	}
	refused = errors.Is(err, syscall.ECONNREFUSED)
	if c.stop != nil && c.resolve() == nil || refused {
		_, err = c.write(b)
	}
	return refused, err
}

func (c *agentConn) write(b []byte) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.conn == nil {
		return 0, errNoAgent
	}
	return c.conn.Write(b)
}

// refusedBy reports whether the kernel reports a refusal (see Write) by
// deadline, or at once if one is pending: it reads from the connected
// socket, which returns a refusal as soon as one arrives (an agent sends
// nothing back). The wait ends early, reporting none, when abort is called.
func (c *agentConn) refusedBy(deadline time.Time) bool {
	c.mu.RLock()
	conn := c.conn
	c.mu.RUnlock()
	if conn == nil {
		return false
	}
	c.abortMu.Lock()
	if c.aborted {
		c.abortMu.Unlock()
		return false
	}
	// A deadline already past would fail the read before it asks the
	// kernel.
	if soon := time.Now().Add(time.Millisecond); deadline.Before(soon) {
		deadline = soon
	}
	err := conn.SetReadDeadline(deadline)
	c.abortMu.Unlock()
	if err != nil {
		return false
	}
	var b [1]byte
	_, err = conn.Read(b[:])
	return errors.Is(err, syscall.ECONNREFUSED)
}

// abort ends refusedBy's wait, under way or to come.
func (c *agentConn) abort() {
	c.abortMu.Lock()
	defer c.abortMu.Unlock()
	c.aborted = true
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.conn != nil {
		_ = c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// Close stops the lookups and closes the connection.
func (c *agentConn) Close() error {
	if c.stop != nil {
		close(c.stop)
		<-c.done
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}
