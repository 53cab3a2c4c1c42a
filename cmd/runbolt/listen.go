package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Environment of worker processes started by the supervisor.
const (
	envWorker   = "BOLT_WORKER"          // the worker's slot; set means "be a worker"
	envListenFD = "BOLT_LISTEN_FD"       // the listening socket to serve
	envReadyFD  = "BOLT_READY_FD"        // a pipe to write "ready" to once serving
	envRestarts = "BOLT_WORKER_RESTARTS" // how often this slot was restarted (for metrics)
	envMetrics  = "BOLT_METRICS_DIR"     // where the workers keep their metrics (package metrics)
)

// inheritedListener is the socket the supervisor handed to this worker.
func inheritedListener() (net.Listener, error) {
	fd := os.Getenv(envListenFD)
	n, err := strconv.Atoi(fd)
	if err != nil {
		return nil, fmt.Errorf("%s=%q is not a file descriptor", envListenFD, fd)
	}
	f := os.NewFile(uintptr(n), "listener")
	defer f.Close()
	return net.FileListener(f)
}

// listenSockets binds n listening sockets on addr that share the port with
// SO_REUSEPORT, one per worker slot. The supervisor keeps them open until it shuts
// down: a restarting worker's connections wait in the backlog instead of being refused.
func listenSockets(addr string, n, backlog int) ([]*os.File, string, error) {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	// SO_REUSEPORT would let us share a port another server already uses; a probe
	// bind without it fails in that case.
	probe, err := socket(tcp, false, 0)
	if err != nil {
		return nil, "", fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	unix.Close(probe)
	var files []*os.File
	for i := 0; i < n; i++ {
		fd, err := socket(tcp, true, backlog)
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, "", fmt.Errorf("cannot listen on %s: %w", tcp, err)
		}
		if tcp.Port == 0 {
			// Port 0 picked a free port: the other slots must share that one.
			sa, err := unix.Getsockname(fd)
			if err != nil {
				unix.Close(fd)
				return nil, "", err
			}
			tcp.Port = sockaddrPort(sa)
		}
		files = append(files, os.NewFile(uintptr(fd), "listener-"+strconv.Itoa(i)))
	}
	return files, tcp.String(), nil
}

// socket creates a bound TCP socket; with a backlog it also listens.
func socket(addr *net.TCPAddr, reusePort bool, backlog int) (int, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ip4 := addr.IP.To4(); ip4 != nil || addr.IP == nil {
		s := &unix.SockaddrInet4{Port: addr.Port}
		copy(s.Addr[:], ip4)
		sa = s
	} else {
		family = unix.AF_INET6
		s := &unix.SockaddrInet6{Port: addr.Port}
		copy(s.Addr[:], addr.IP.To16())
		sa = s
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, err
	}
	fail := func(err error) (int, error) {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail(err)
	}
	if reusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return fail(err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			return fail(errors.New("address already in use"))
		}
		return fail(err)
	}
	if backlog > 0 {
		if err := unix.Listen(fd, backlog); err != nil {
			return fail(err)
		}
	}
	return fd, nil
}

func sockaddrPort(sa unix.Sockaddr) int {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return 0
}
