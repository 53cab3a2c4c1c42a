// Command bolt-server is the django-bolt server. Users start it through
// `python manage.py runbolt`, which passes the interpreter and sys.path to embed.
//
// With --processes 1 and no --dev the process is the worker itself. Otherwise it is a
// supervisor (no Python inside) that runs worker processes — this same binary
// re-executed — restarts those that die, and reloads them in --dev mode.
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
	if os.Getenv(envWorker) != "" || (opts.processes == 1 && !opts.dev) {
		os.Exit(runWorker(opts))
	}
	os.Exit(runSupervisor(opts))
}
