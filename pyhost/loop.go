package pyhost

/*
#include "bridge.h"
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"djangobolt/protocol"
)

// call is one queued item and the channel its submitter waits on.
type call struct {
	rid  int // slot index, -1 for fire-and-forget items
	kind int
	arg  int
	req  *protocol.Request
	resp *protocol.Response
	ws   *wsEvent // WebSocket items (websocket.go)
	done chan struct{}
	// lost is set by Close before it signals done: no answer is coming.
	lost bool
	// abandoned is set (under Loop.mu, while the call is in its slot) when its submitter
	// stopped waiting: complete then disposes of the answer instead of delivering it.
	abandoned bool
	// view is where the lane reads its answer: a local handed to C would be allocated
	// on the heap for every request.
	view C.bolt_result
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// Loop hands work from server goroutines to the one thread that runs the asyncio loop.
//
// Producers append to a queue and write the eventfd only when the loop is not already
// awake, so wake-ups coalesce. The loop thread drains every pending item per wake-up
// and returns all finished results in the same call that takes the next batch.
type Loop struct {
	efd int
	log *log.Logger // the server's logger, for what goes wrong between Go and Python

	mu    sync.Mutex
	queue []*call
	awake bool
	slots []*call // in-flight calls by request id
	free  []int

	isClosed bool
	closed   chan struct{} // closed by Close, for waits that are not calls (stream.go)

	streams streams // open StreamingResponses (stream.go)

	// Used only on the loop thread.
	spare   []*call
	waiting []*call
	views   []C.bolt_result
	errs    []error
}

// active is the loop that django_bolt._core.exchange serves in this process.
var active *Loop

// NewLoop creates the loop bridge and makes it the one Python's exchange() talks to.
// logger receives the bridge's own messages (results nobody waits for, WebSocket
// commands with nowhere to go): the server's logger, so they land beside its others.
func NewLoop(logger *log.Logger) (*Loop, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pyhost: eventfd: %w", err)
	}
	l := &Loop{efd: efd, log: logger, closed: make(chan struct{})}
	active = l
	return l, nil
}

// ErrNoAnswer is what Do returns when Python did not answer before the request's
// deadline or before the loop closed.
var ErrNoAnswer = errors.New("pyhost: no answer from the event loop")

// Close declares the event loop gone (its serve returned): every call still waiting,
// and every call made later, fails at once instead of waiting for an answer that will
// never come.
func (l *Loop) Close() {
	l.mu.Lock()
	if l.isClosed {
		l.mu.Unlock()
		return
	}
	l.isClosed = true
	close(l.closed)
	var lost []*call
	for rid, c := range l.slots {
		if c != nil {
			l.slots[rid] = nil
			lost = append(lost, c)
		}
	}
	l.mu.Unlock()
	// Each call is completed once, by whoever takes it out of its slot: here, or by
	// complete before Close. A waiter therefore selects on its own channel only, not on
	// one shared by every waiting goroutine (whose lock they would all take).
	for _, c := range lost {
		c.lost = true
		c.done <- struct{}{}
	}
}

// FD is the eventfd the event loop watches with add_reader.
func (l *Loop) FD() int { return l.efd }

// Do runs req in Python and blocks until resp is filled, until req.Deadline (when set)
// or until the loop closes. In the last two cases it returns ErrNoAnswer and req and resp
// stay with the loop, which may still read req: the caller must not reuse them. The
// answer of a call given up at its deadline is disposed of (a stream it opened is closed).
func (l *Loop) Do(req *protocol.Request, resp *protocol.Response) error {
	c := callPool.Get().(*call)
	c.kind, c.req, c.resp = req.Handler, req, resp
	switch l.runNow(c) {
	case ranToEnd:
		c.req, c.resp = nil, nil
		callPool.Put(c)
		return nil
	case laneBusy:
		if !l.submit(c, true) {
			return ErrNoAnswer
		}
	case suspended: // answered through exchange, like a queued call
	}
	if !l.wait(c, req.Deadline) {
		return ErrNoAnswer // c is abandoned to the loop (and the garbage collector)
	}
	c.req, c.resp = nil, nil
	callPool.Put(c)
	return nil
}

// wait blocks until c is answered (true), its deadline passes or the loop closes.
func (l *Loop) wait(c *call, deadline time.Time) bool {
	if deadline.IsZero() {
		<-c.done
		return !c.lost
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-c.done:
		return !c.lost
	case <-t.C:
	}
	if l.abandon(c) {
		return false
	}
	// Taken out of its slot already: its answer (or Close's signal) is on its way.
	<-c.done
	return !c.lost
}

// abandon gives c up if it is still in flight (true): its answer, when it comes, is
// disposed of by complete, so a stream it opened is closed instead of left open.
func (l *Loop) abandon(c *call) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.slots[c.rid] != c {
		return false
	}
	c.abandoned = true
	return true
}

// Stop asks the event loop to stop; Serve then returns.
func (l *Loop) Stop() {
	l.submit(&call{kind: protocol.KindStop}, false)
}

// submit queues c; false when the loop is closed (c is then not queued).
func (l *Loop) submit(c *call, tracked bool) bool {
	l.mu.Lock()
	if l.isClosed {
		l.mu.Unlock()
		return false
	}
	if tracked {
		l.track(c)
	} else {
		c.rid = -1
	}
	l.queue = append(l.queue, c)
	wake := !l.awake
	l.awake = true
	l.mu.Unlock()
	if wake {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		// EAGAIN only happens when the counter is already huge: the loop is awake anyway.
		_, _ = unix.Write(l.efd, one[:])
	}
	return true
}

// track gives c a request id, the slot its result finds it by. l.mu is held.
func (l *Loop) track(c *call) {
	if n := len(l.free); n > 0 {
		c.rid = l.free[n-1]
		l.free = l.free[:n-1]
		l.slots[c.rid] = c
	} else {
		c.rid = len(l.slots)
		l.slots = append(l.slots, c)
	}
}
