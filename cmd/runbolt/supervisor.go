package main

import (
	"bufio"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Restart policy: a worker that dies is restarted after a backoff that doubles up to
// maxBackoff; one that keeps dying before it ever serves stops the whole server.
const (
	minBackoff       = 100 * time.Millisecond
	maxBackoff       = 5 * time.Second
	maxFailedStarts  = 3
	readyTimeout     = 60 * time.Second
	childStopTimeout = shutdownTimeout + 5*time.Second
)

// child is one running worker process.
type child struct {
	slot   int
	cmd    *exec.Cmd
	ready  chan bool  // true once serving, false if it exited first
	exited chan error // receives the exit status
}

type supervisor struct {
	opts     options
	log      *log.Logger
	listener *os.File // held for --dev: the socket outlives each worker
}

func runSupervisor(o options) int {
	s := &supervisor{opts: o, log: log.New(os.Stderr, "", log.LstdFlags)}
	if o.dev {
		ln, err := bind(o.addr(), false)
		if err != nil {
			s.log.Print(err)
			return 1
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			s.log.Print(err)
			return 1
		}
		s.listener = f
		return s.runDev()
	}
	return s.runPool()
}

// start launches worker slot: this binary again, with the worker environment.
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
	cmd.Env = append(os.Environ(), envWorker+"="+strconv.Itoa(slot), envReadyFD+"=3")
	cmd.ExtraFiles = []*os.File{readW}
	if s.listener != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, s.listener)
		cmd.Env = append(cmd.Env, envListenFD+"=4")
	} else {
		cmd.Env = append(cmd.Env, reusePortEnv+"=1")
	}
	if err := cmd.Start(); err != nil {
		readR.Close()
		readW.Close()
		return nil, err
	}
	readW.Close()
	c := &child{slot: slot, cmd: cmd, ready: make(chan bool, 1), exited: make(chan error, 1)}
	go func() {
		line, _ := bufio.NewReader(readR).ReadString('\n')
		readR.Close()
		c.ready <- line == "ready\n"
	}()
	go func() { c.exited <- cmd.Wait() }()
	return c, nil
}

// waitReady reports whether c started serving; on failure it has exited (or is killed).
func (c *child) waitReady() bool {
	select {
	case ok := <-c.ready:
		return ok
	case <-time.After(readyTimeout):
		c.cmd.Process.Kill()
		return false
	}
}

// stop asks c to drain and exit, killing it if it takes too long.
func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		c.exited <- err
	case <-time.After(childStopTimeout):
		c.cmd.Process.Kill()
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() > 0 {
		return ee.ExitCode()
	}
	return 1
}

func notifySignals() chan os.Signal {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	return sig
}

// stopAll stops every child concurrently; a second signal kills them.
func stopAll(children []*child, sig chan os.Signal) {
	done := make(chan struct{})
	go func() {
		for _, c := range children {
			c.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range children {
			c.stop()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-sig:
		for _, c := range children {
			c.cmd.Process.Kill()
		}
		<-done
	}
}

// runPool keeps opts.processes workers alive until SIGINT/SIGTERM.
func (s *supervisor) runPool() int {
	sig := notifySignals()
	children := make([]*child, s.opts.processes)
	exits := make(chan int, s.opts.processes)
	watch := func(c *child) {
		err := <-c.exited
		c.exited <- err
		exits <- c.slot
	}
	for i := range children {
		c, err := s.start(i)
		if err != nil {
			s.log.Printf("cannot start worker %d: %v", i, err)
			stopAll(children[:i], sig)
			return 1
		}
		children[i] = c
		go watch(c)
	}
	failures := make([]int, len(children))
	backoff := make([]time.Duration, len(children))
	for {
		select {
		case <-sig:
			s.log.Print("shutting down: waiting for in-flight requests")
			stopAll(children, sig)
			return 0
		case slot := <-exits:
			old := children[slot]
			err := <-old.exited
			served := len(old.ready) > 0 && <-old.ready
			if served {
				failures[slot], backoff[slot] = 0, minBackoff
			} else {
				failures[slot]++
			}
			if failures[slot] >= maxFailedStarts {
				s.log.Printf("worker %d failed to start %d times (%v); stopping", slot, failures[slot], err)
				stopAll(children, sig)
				return exitCode(err)
			}
			if backoff[slot] == 0 {
				backoff[slot] = minBackoff
			}
			s.log.Printf("worker %d (pid %d) exited (%v); restarting in %v", slot, old.cmd.Process.Pid, err, backoff[slot])
			select {
			case <-time.After(backoff[slot]):
			case <-sig:
				stopAll(children, sig)
				return 0
			}
			backoff[slot] = min(2*backoff[slot], maxBackoff)
			c, err := s.start(slot)
			if err != nil {
				s.log.Printf("cannot restart worker %d: %v", slot, err)
				stopAll(children, sig)
				return 1
			}
			children[slot] = c
			go watch(c)
		}
	}
}

// runDev serves with one worker on the supervisor's socket and replaces it when the
// project's files change: the new worker starts first, and the old one drains only
// once the new one serves, so no connection is refused. A worker that fails to start
// (an import error, say) leaves the last good one serving.
func (s *supervisor) runDev() int {
	sig := notifySignals()
	changes, err := watchTree(s.opts.watch, s.log)
	if err != nil {
		s.log.Printf("--dev: cannot watch %s: %v", s.opts.watch, err)
		return 1
	}
	current, err := s.start(0)
	if err != nil {
		s.log.Print(err)
		return 1
	}
	if !current.waitReady() {
		s.log.Print("--dev: the first worker failed to start; waiting for a file change")
		current = nil
	}
	var exited <-chan error
	if current != nil {
		exited = current.exited
	}
	for {
		select {
		case <-sig:
			if current != nil {
				stopAll([]*child{current}, sig)
			}
			return 0
		case err := <-exited:
			s.log.Printf("--dev: worker exited (%v); waiting for a file change", err)
			current, exited = nil, nil
		case path := <-changes:
			s.log.Printf("--dev: %s changed; reloading", path)
			next, err := s.start(0)
			if err != nil {
				s.log.Print(err)
				continue
			}
			if !next.waitReady() {
				s.log.Print("--dev: the new code failed to start; still serving the previous version")
				continue
			}
			if current != nil {
				go current.stop()
			}
			current, exited = next, next.exited
		}
	}
}
