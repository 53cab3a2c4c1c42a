package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
)

// options are the command-line flags runbolt passes through.
type options struct {
	host      string
	port      int
	processes int
	workers   int
	noAdmin   bool
	dev       bool
	watch     string
	// Settings given as flags; they override the BOLT_* Django settings.
	backlog         int
	shutdownTimeout float64
	keepAlive       float64
	maxPending      int
}

// overrides are the settings given on the command line, for django_bolt.conf.
func (o options) overrides() map[string]any {
	m := map[string]any{"BOLT_BACKLOG": o.backlog, "BOLT_SHUTDOWN_TIMEOUT": o.shutdownTimeout}
	if o.keepAlive >= 0 {
		m["BOLT_KEEP_ALIVE"] = o.keepAlive
	}
	if o.maxPending >= 0 {
		m["BOLT_MAX_PENDING"] = o.maxPending
	}
	return m
}

func (o options) addr() string { return net.JoinHostPort(o.host, strconv.Itoa(o.port)) }

// args renders the options back into flags, for re-executing workers.
func (o options) args() []string {
	a := []string{"--host", o.host, "--port", strconv.Itoa(o.port), "--processes", strconv.Itoa(o.processes),
		"--workers", strconv.Itoa(o.workers)}
	if o.noAdmin {
		a = append(a, "--no-admin")
	}
	a = append(a, "--backlog", strconv.Itoa(o.backlog),
		"--shutdown-timeout", strconv.FormatFloat(o.shutdownTimeout, 'g', -1, 64))
	if o.keepAlive >= 0 {
		a = append(a, "--keep-alive", strconv.FormatFloat(o.keepAlive, 'g', -1, 64))
	}
	if o.maxPending >= 0 {
		a = append(a, "--max-pending", strconv.Itoa(o.maxPending))
	}
	return a
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bolt-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.host, "host", "0.0.0.0", "address to bind")
	fs.IntVar(&o.port, "port", 8000, "port to bind")
	fs.IntVar(&o.processes, "processes", 1, "worker processes sharing the port")
	fs.IntVar(&o.workers, "workers", 2, "threads per process for sync handlers")
	fs.BoolVar(&o.noAdmin, "no-admin", false, "do not serve the Django admin")
	fs.BoolVar(&o.dev, "dev", false, "reload when a .py file changes")
	fs.StringVar(&o.watch, "watch", ".", "directory watched in --dev mode")
	fs.IntVar(&o.backlog, "backlog", 1024, "listen backlog (BOLT_BACKLOG)")
	fs.Float64Var(&o.shutdownTimeout, "shutdown-timeout", 30, "seconds in-flight requests get on SIGTERM (BOLT_SHUTDOWN_TIMEOUT)")
	fs.Float64Var(&o.keepAlive, "keep-alive", -1, "idle keep-alive seconds, 0 disables (BOLT_KEEP_ALIVE)")
	fs.IntVar(&o.maxPending, "max-pending", -1, "requests queued for Python before 503, 0 unbounded (BOLT_MAX_PENDING)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.port < 0 || o.port > 65535:
		return o, fmt.Errorf("--port %d: a port is a number from 0 to 65535", o.port)
	case o.processes < 1:
		return o, errors.New("--processes must be at least 1")
	case o.workers < 1:
		return o, errors.New("--workers must be at least 1")
	case o.backlog < 1:
		return o, errors.New("--backlog must be at least 1")
	case o.shutdownTimeout < 0:
		return o, errors.New("--shutdown-timeout must be 0 or more seconds")
	}
	return o, nil
}
