package ingest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DialTimeout bounds connecting to a tcp:// source.
const DialTimeout = 5 * time.Second

// hostPort reads the host:port of a tcp:// or tcp-listen:// URI.
func hostPort(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("source %s: %w", uri, err)
	}
	if u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("source %s: want %s://host:port", uri, u.Scheme)
	}
	return u.Host, nil
}

// TCPSource reads NDJSON lines from TCP connections: a tcp:// source
// connects to a server (as Spark's socket source does), a tcp-listen://
// source accepts producers. Both deliver micro-batches as a LineSource.
type TCPSource struct {
	*LineSource
	addr net.Addr
}

// Addr is the address a tcp-listen:// source listens on (useful with port
// 0) or the peer of a tcp:// source.
func (s *TCPSource) Addr() net.Addr { return s.addr }

// openTCP connects to host:port and reads lines until the peer closes the
// connection; with opts.Follow it reconnects (retrying every second or
// less) until closed. Without Follow a failed first connection is an error.
func openTCP(uri string, opts Options) (Source, error) {
	addr, err := hostPort(uri)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("tcp", addr, DialTimeout)
	if err != nil && !opts.Follow {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	s := &TCPSource{LineSource: newLineSource(opts)}
	if conn != nil {
		s.addr = conn.RemoteAddr()
	}
	var mu sync.Mutex
	current := conn
	s.closeFn = func() {
		mu.Lock()
		defer mu.Unlock()
		if current != nil {
			current.Close()
		}
	}
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		for n := 1; ; n++ {
			if conn != nil {
				name := uri
				if n > 1 {
					name = fmt.Sprintf("%s (connection %d)", uri, n)
				}
				err := s.readLines(name, 0, conn)
				conn.Close()
				if errors.Is(err, errStopped) {
					return
				}
				if err != nil && !opts.Follow {
					s.fail(fmt.Errorf("%s: %w", name, err))
					return
				}
			}
			if !opts.Follow {
				return
			}
			conn = nil
			for wait := 50 * time.Millisecond; conn == nil; wait = min(2*wait, time.Second) {
				select {
				case <-s.quit:
					return
				case <-time.After(wait):
				}
				conn, _ = net.DialTimeout("tcp", addr, DialTimeout)
			}
			mu.Lock()
			select {
			case <-s.quit:
				conn.Close()
				mu.Unlock()
				return
			default:
			}
			current = conn
			mu.Unlock()
		}
	}()
	go s.closeWhenRead()
	return s, nil
}

// openTCPListen listens on host:port and reads lines from every producer
// that connects, each connection with its own line numbers. Without
// opts.Follow the source is drained once at least one producer has
// connected and every producer has closed its connection; with Follow it
// accepts producers until closed.
func openTCPListen(uri string, opts Options) (Source, error) {
	addr, err := hostPort(uri)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", uri, err)
	}
	s := &TCPSource{LineSource: newLineSource(opts), addr: ln.Addr()}
	s.parts = map[int32]time.Time{} // each producer is a part, in its own time order
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	drained := false // the last producer left (without Follow)
	s.closeFn = func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	}
	base := strings.TrimSuffix(uri, "/")
	s.hold.Add(1) // released when no more producers will be accepted
	go func() {
		defer s.hold.Done()
		for n := 1; ; n++ {
			conn, err := ln.Accept()
			if err != nil {
				mu.Lock()
				done := drained
				mu.Unlock()
				select {
				case <-s.quit:
				default:
					if !done {
						s.fail(fmt.Errorf("source %s: %w", uri, err))
					}
				}
				return
			}
			mu.Lock()
			conns[conn] = true
			s.readers.Add(1)
			mu.Unlock()
			name := fmt.Sprintf("%s (producer %d, %s)", base, n, conn.RemoteAddr())
			part := int32(n)
			s.openPart(part)
			go func() {
				defer s.readers.Done()
				err := s.readLines(name, part, conn)
				conn.Close()
				s.closePart(part)
				if err != nil && !errors.Is(err, errStopped) {
					s.fail(fmt.Errorf("%s: %w", name, err))
				}
				mu.Lock()
				delete(conns, conn)
				if len(conns) == 0 && !opts.Follow {
					drained = true
					ln.Close() // no more producers: Accept fails, hold is released
				}
				mu.Unlock()
			}()
		}
	}()
	go s.closeWhenRead()
	opts.waiting("listening on tcp-listen://%s for producers", ln.Addr())
	return s, nil
}
