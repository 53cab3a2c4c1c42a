package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Environment of worker processes started by the supervisor.
const (
	envWorker    = "BOLT_WORKER"    // the worker's index; set means "be a worker"
	envListenFD  = "BOLT_LISTEN_FD" // an inherited listening socket to serve
	envReadyFD   = "BOLT_READY_FD"  // a pipe to close once serving
	reusePortEnv = "BOLT_REUSE_PORT"
)

// listen returns the worker's listener: the socket inherited from the supervisor, or
// a new one (with SO_REUSEPORT when several processes share the port).
func listen(o options) (net.Listener, error) {
	if fd := os.Getenv(envListenFD); fd != "" {
		n, err := strconv.Atoi(fd)
		if err != nil {
			return nil, fmt.Errorf("%s=%q is not a file descriptor", envListenFD, fd)
		}
		f := os.NewFile(uintptr(n), "listener")
		defer f.Close()
		return net.FileListener(f)
	}
	return bind(o.addr(), os.Getenv(reusePortEnv) == "1")
}

func bind(addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			if serr == nil && reusePort {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}
