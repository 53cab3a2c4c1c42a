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
}

func (o options) addr() string { return net.JoinHostPort(o.host, strconv.Itoa(o.port)) }

// args renders the options back into flags, for re-executing workers.
func (o options) args() []string {
	a := []string{"--host", o.host, "--port", strconv.Itoa(o.port), "--processes", strconv.Itoa(o.processes),
		"--workers", strconv.Itoa(o.workers)}
	if o.noAdmin {
		a = append(a, "--no-admin")
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
	}
	return o, nil
}
