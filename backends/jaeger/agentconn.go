package jaeger

import (
	"errors"
	"fmt"
	"net"
	"sync"
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

// Write sends one datagram. For an agent given by name, a failed write looks
// the name up again and, if that succeeds, tries once more.
func (c *agentConn) Write(b []byte) (int, error) {
	n, err := c.write(b)
	if err != nil && c.stop != nil && c.resolve() == nil {
		return c.write(b)
	}
	return n, err
}

func (c *agentConn) write(b []byte) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.conn == nil {
		return 0, errNoAgent
	}
	return c.conn.Write(b)
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
