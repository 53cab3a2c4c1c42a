package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"djangobolt/pyhost"
	"djangobolt/server"
)

// runWorker embeds Python, loads the project and serves until SIGINT/SIGTERM.
// It runs on the main thread, which becomes the event-loop thread.
func runWorker(o options) int {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	exe := os.Getenv("BOLT_PYTHON")
	if exe == "" {
		logger.Print("bolt-server is started by `python manage.py runbolt`, which sets BOLT_PYTHON and BOLT_SYS_PATH")
		return 2
	}
	if want := os.Getenv("BOLT_PYTHON_VERSION"); want != "" && want != pyhost.CompiledVersion() {
		logger.Printf("this bolt-server was built for Python %s but the project runs Python %s (%s); "+
			"rebuild it with that interpreter: `make build` or `pip install .`", pyhost.CompiledVersion(), want, exe)
		return 2
	}
	restoreLibraryPath()
	tuneMalloc(os.Environ())
	if err := pyhost.Initialize(exe, filepath.Base(os.Args[0])); err != nil {
		logger.Print(err)
		return 1
	}
	sysPath := strings.Split(os.Getenv("BOLT_SYS_PATH"), string(os.PathListSeparator))
	raw, err := pyhost.Call("django_bolt._runtime.boot", "load", sysPath,
		map[string]any{"no_admin": o.noAdmin, "settings": o.overrides()})
	if err != nil {
		logger.Printf("loading the Django project failed:\n%v", err)
		return exitProjectBroken
	}
	doc, _ := raw.([]byte)
	table, err := server.DecodeTable(doc)
	if err != nil {
		logger.Print(err)
		return exitProjectBroken
	}
	loop, err := pyhost.NewLoop(logger)
	if err != nil {
		logger.Print(err)
		return 1
	}
	srv, err := server.NewWorker(table, loop, logger, workerProcess())
	if err != nil {
		logger.Printf("configuration error: %v", err)
		return exitProjectBroken
	}
	ln, err := inheritedListener()
	if err != nil {
		logger.Print(err)
		return 1
	}
	go func() {
		if err := srv.Serve(ln); err != nil {
			logger.Printf("server stopped: %v", err)
			loop.Stop()
		}
	}()
	go handleSignals(srv, loop, time.Duration(table.Settings.ShutdownTimeout*float64(time.Second)), logger)
	signalReady()
	logger.Printf("django-bolt worker %s serving %d routes on http://%s (pid %d, Python %s, %d threads)",
		os.Getenv(envWorker), len(table.Routes), ln.Addr(), os.Getpid(), pyhost.CompiledVersion(), o.workers)
	_, err = pyhost.Call("django_bolt._runtime.boot", "serve", loop.FD(), o.workers)
	// Nothing answers from now on: requests still waiting get their 500 at once.
	loop.Close()
	if err != nil {
		logger.Printf("event loop failed:\n%v", err)
		return 1
	}
	return 0
}

// The loop is what the server hands requests, streams and WebSockets to.
var (
	_ server.Python          = (*pyhost.Loop)(nil)
	_ server.WebSocketPython = (*pyhost.Loop)(nil)
)

// handleSignals drains the server on the first SIGINT/SIGTERM, then stops the loop;
// a second signal exits at once.
func handleSignals(srv *server.Server, loop *pyhost.Loop, timeout time.Duration, logger *log.Logger) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	go func() {
		<-sig
		logger.Print("second signal: exiting now")
		os.Exit(1)
	}()
	if err := srv.Shutdown(timeout); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	loop.Stop()
}

// workerProcess is what the supervisor told this worker about its place.
func workerProcess() server.Process {
	slot, _ := strconv.Atoi(os.Getenv(envWorker))
	restarts, _ := strconv.Atoi(os.Getenv(envRestarts))
	return server.Process{Slot: slot, Restarts: restarts, MetricsDir: os.Getenv(envMetrics)}
}

// signalReady tells the supervisor (if any) that this worker serves.
func signalReady() {
	fd := os.Getenv(envReadyFD)
	if fd == "" {
		return
	}
	n, err := strconv.Atoi(fd)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(n), "ready")
	fmt.Fprintln(f, "ready")
	f.Close()
}
