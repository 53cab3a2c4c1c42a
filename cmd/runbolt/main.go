// Command bolt-server is the django-bolt server. Users start it through
// `python manage.py runbolt`, which passes the interpreter and sys.path to embed.
//
// The process started by runbolt is a supervisor (no Python inside): it holds the
// listening sockets and runs worker processes — this same binary re-executed with
// BOLT_WORKER set — each embedding the interpreter. It restarts workers that die,
// replaces them on SIGHUP or (with --dev) on file changes, and drains them on
// SIGINT/SIGTERM.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func init() {
	// The main goroutine becomes Python's main thread and later runs the event loop;
	// it must never move to another OS thread.
	runtime.LockOSThread()
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bolt-server:", err)
		os.Exit(2)
	}
	if os.Getenv(envWorker) != "" {
		os.Exit(runWorker(opts))
	}
	os.Exit(runSupervisor(opts))
}
