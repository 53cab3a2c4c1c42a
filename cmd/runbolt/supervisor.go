package main

import (
	"bufio"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"djangobolt/metrics"
)

// Restart policy: a worker that dies is restarted after a backoff that doubles up to
// maxBackoff; one that keeps dying before it ever serves stops the whole server, and
// one that says its project cannot start (exitProjectBroken) stops it at once.
const (
	minBackoff      = 100 * time.Millisecond
	maxBackoff      = 5 * time.Second
	maxFailedStarts = 3
	readyTimeout    = 120 * time.Second
)

// exitProjectBroken is a worker's exit status when loading the project failed (an
// import error, a configuration error): every new worker would fail the same way, so
// the supervisor does not restart it. The server then exits with status 1.
const exitProjectBroken = 3

// child is one worker process.
type child struct {
	slot     int
	cmd      *exec.Cmd
	signaled atomic.Bool // SIGTERM sent: a second one would make it exit at once
	ready    chan bool   // true once serving, false if it exited first
	served   atomic.Bool // it became ready at some point
	done     chan struct{}
	err      error // exit status, valid after done is closed
}

type exitEvent struct{ c *child }

type supervisor struct {
	opts     options
	log      *log.Logger
	sockets  []*os.File // one per slot, open until the supervisor shuts down
	metrics  string     // the workers' metrics directory (package metrics)
	children []*child   // the current worker of each slot
	exits    chan exitEvent
	restart  chan int // slots whose backoff elapsed
	failures []int
	backoff  []time.Duration
	restarts []int
}

// runSupervisor serves with worker processes: this binary re-executed, one embedded
// interpreter each. It restarts workers that die, replaces them all on SIGHUP (and on
// file changes with --dev) without refusing a connection, and drains them on
// SIGINT/SIGTERM.
func runSupervisor(o options) int {
	slots := o.processes
	if o.dev {
		slots = 1
	}
	s := &supervisor{
		opts: o, log: log.New(os.Stderr, "", log.LstdFlags),
		children: make([]*child, slots), exits: make(chan exitEvent, 4*slots+4), restart: make(chan int, slots),
		failures: make([]int, slots), backoff: make([]time.Duration, slots), restarts: make([]int, slots),
	}
	sockets, addr, err := listenSockets(o.addr(), slots, o.backlog)
	if err != nil {
		s.log.Print(err)
		return 1
	}
	s.sockets = sockets
	dir, err := metrics.CreateDir("")
	if err != nil {
		s.log.Printf("cannot create the metrics directory: %v", err)
		return 1
	}
	defer dir.Remove()
	s.metrics = dir.Path
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	var changes <-chan string
	if o.dev {
		if changes, err = watchTree(o.watch, s.log); err != nil {
			s.log.Printf("--dev: cannot watch %s: %v", o.watch, err)
			return 1
		}
	}
	s.log.Printf("django-bolt supervisor (pid %d) listening on http://%s with %d worker process(es)", os.Getpid(), addr, slots)
	for slot := range s.children {
		if code, fatal := s.startSlot(slot); fatal {
			s.stopAll(sig)
			return code
		}
	}
	for {
		select {
		case v := <-sig:
			if v == syscall.SIGHUP {
				s.log.Print("SIGHUP: replacing the workers")
				if v = s.reload(sig); v == nil {
					continue
				}
			}
			s.log.Print("shutting down: letting in-flight requests finish")
			s.stopAll(sig)
			return 0
		case path := <-changes:
			s.log.Printf("--dev: %s changed; reloading", path)
			if s.reload(sig) != nil {
				s.log.Print("shutting down: letting in-flight requests finish")
				s.stopAll(sig)
				return 0
			}
		case ev := <-s.exits:
			if code, fatal := s.exited(ev.c); fatal {
				s.stopAll(sig)
				return code
			}
		case slot := <-s.restart:
			if s.children[slot] == nil {
				if code, fatal := s.startSlot(slot); fatal {
					s.stopAll(sig)
					return code
				}
			}
		}
	}
}

// start launches a worker for slot on the slot's socket.
func (s *supervisor) start(slot int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	readR, readW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, s.opts.args()...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// Workers get signals from the supervisor only (a terminal's Ctrl-C reaches the
	// supervisor, which drains them once), and die with it if it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.ExtraFiles = []*os.File{readW, s.sockets[slot]} // fds 3 and 4
	cmd.Env = append(os.Environ(),
		envWorker+"="+strconv.Itoa(slot), envReadyFD+"=3", envListenFD+"=4",
		envRestarts+"="+strconv.Itoa(s.restarts[slot]), envMetrics+"="+s.metrics)
	if os.Getenv("GODEBUG") == "" {
		// The cgo pointer checks cost ~2% of a request's CPU; the bridge only hands C
		// byte buffers without Go pointers inside, which pyhost's tests cover.
		cmd.Env = append(cmd.Env, "GODEBUG=cgocheck=0")
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// One interpreter per process: Go needs about its share of the cores.
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+strconv.Itoa(max(1, runtime.NumCPU()/len(s.children))))
	}
	if err := cmd.Start(); err != nil {
		readR.Close()
		readW.Close()
		return nil, err
	}
	readW.Close()
	c := &child{slot: slot, cmd: cmd, ready: make(chan bool, 1), done: make(chan struct{})}
	go func() {
		line, _ := bufio.NewReader(readR).ReadString('\n')
		readR.Close()
		ok := line == "ready\n"
		c.served.Store(ok)
		c.ready <- ok
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
		s.exits <- exitEvent{c}
	}()
	return c, nil
}

// startSlot starts slot's worker; fatal means start-up must be abandoned.
func (s *supervisor) startSlot(slot int) (code int, fatal bool) {
	c, err := s.start(slot)
	if err != nil {
		s.log.Printf("cannot start worker %d: %v", slot, err)
		return 1, true
	}
	s.children[slot] = c
	return 0, false
}

// exited handles a worker's exit: a replaced worker is simply gone; a current one is
// restarted after a backoff, unless it keeps failing before it ever serves.
func (s *supervisor) exited(c *child) (code int, fatal bool) {
	// What it counted stays in the server's metrics.
	if err := metrics.Retire(s.metrics, c.cmd.Process.Pid); err != nil {
		s.log.Printf("worker %d (pid %d): %v", c.slot, c.cmd.Process.Pid, err)
	}
	if s.children[c.slot] != c {
		return 0, false
	}
	s.children[c.slot] = nil
	slot := c.slot
	if c.served.Load() {
		s.failures[slot], s.backoff[slot] = 0, minBackoff
	} else {
		s.failures[slot]++
	}
	if s.opts.dev {
		s.log.Printf("--dev: the worker exited (%v); waiting for a file change", c.err)
		return 0, false
	}
	if !c.served.Load() && exitCode(c.err) == exitProjectBroken {
		s.log.Printf("the project cannot start (the error is above); stopping")
		return 1, true
	}
	if s.failures[slot] >= maxFailedStarts {
		s.log.Printf("worker %d failed to start %d times in a row (last: %v); stopping", slot, s.failures[slot], c.err)
		return exitCode(c.err), true
	}
	if s.backoff[slot] == 0 {
		s.backoff[slot] = minBackoff
	}
	s.log.Printf("worker %d (pid %d) exited (%v); restarting in %v", slot, c.cmd.Process.Pid, c.err, s.backoff[slot])
	s.restarts[slot]++
	delay := s.backoff[slot]
	s.backoff[slot] = min(2*delay, maxBackoff)
	time.AfterFunc(delay, func() { s.restart <- slot })
	return 0, false
}

// reload replaces every worker: a new worker is started on each slot's socket, and
// only when all of them serve are the old ones drained, so the whole server switches
// to the new code at once. If any new worker fails to start, all the new ones are
// stopped and the previous workers keep serving. A SIGINT/SIGTERM during the wait
// abandons the reload; reload then returns it so the caller shuts down.
func (s *supervisor) reload(sig chan os.Signal) (stop os.Signal) {
	next := make([]*child, len(s.children))
	abandon := func() {
		for _, c := range next {
			if c != nil {
				c.cmd.Process.Kill()
			}
		}
	}
	for slot := range s.children {
		c, err := s.start(slot)
		if err != nil {
			s.log.Printf("reload: cannot start worker %d: %v", slot, err)
			abandon()
			return nil
		}
		next[slot] = c
	}
	for _, c := range next {
		ready, v := c.waitReady(sig)
		if v != nil {
			s.log.Print("reload abandoned: shutting down")
			abandon()
			return v
		}
		if !ready {
			s.log.Print("reload: the new code failed to start; the previous workers keep serving")
			abandon()
			return nil
		}
	}
	for slot, c := range next {
		if old := s.children[slot]; old != nil {
			go old.stop(s.stopTimeout())
		}
		s.children[slot] = c
		s.failures[slot], s.backoff[slot] = 0, minBackoff
	}
	return nil
}

func (s *supervisor) stopTimeout() time.Duration {
	return time.Duration(s.opts.shutdownTimeout*float64(time.Second)) + 5*time.Second
}

// waitReady reports whether c started serving (a worker that did not is killed).
// A SIGINT/SIGTERM arriving meanwhile is returned instead; SIGHUPs are ignored.
func (c *child) waitReady(sig chan os.Signal) (ready bool, stop os.Signal) {
	timeout := time.After(readyTimeout)
	for {
		select {
		case ok := <-c.ready:
			if !ok {
				c.cmd.Process.Kill()
			}
			return ok, nil
		case v := <-sig:
			if v != syscall.SIGHUP {
				return false, v
			}
		case <-timeout:
			c.cmd.Process.Kill()
			return false, nil
		}
	}
}

// terminate asks c to drain and exit; only the first call signals it.
func (c *child) terminate() {
	if c.signaled.CompareAndSwap(false, true) {
		c.cmd.Process.Signal(syscall.SIGTERM)
	}
}

// stop asks c to drain and exit, and kills it when it takes longer than timeout.
func (c *child) stop(timeout time.Duration) {
	c.terminate()
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// stopAll drains every worker; a second SIGINT/SIGTERM kills them at once. The
// listening sockets are closed first (the workers close their copies as they begin to
// drain), so new connections are refused at once and a load balancer sends them
// elsewhere, instead of waiting in a backlog nobody accepts from.
func (s *supervisor) stopAll(sig chan os.Signal) {
	for _, f := range s.sockets {
		f.Close()
	}
	finished := make(chan struct{})
	go func() {
		for _, c := range s.children {
			if c != nil {
				c.terminate()
			}
		}
		for _, c := range s.children {
			if c != nil {
				c.stop(s.stopTimeout())
			}
		}
		close(finished)
	}()
	for {
		select {
		case <-finished:
			return
		case v := <-sig:
			if v == syscall.SIGHUP {
				continue
			}
			s.log.Print("second signal: stopping the workers now")
			for _, c := range s.children {
				if c != nil {
					c.cmd.Process.Kill()
				}
			}
			<-finished
			return
		}
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
		return ee.ExitCode()
	}
	return 1
}
