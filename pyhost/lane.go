package pyhost

/*
#include "bridge.h"
*/
import "C"

import "runtime"

// The lane lets the goroutine that received a request run its handler itself, on its
// own thread, while the loop thread waits in its selector with nothing to do. A handler
// that finishes without suspending (most do) is then answered with no thread hand-off
// at all: no eventfd write, no wake-up of the loop thread, no wake-up of the goroutine.
//
// The loop thread holds the lane lock (lane.c) whenever it runs Python and lets go of
// it only inside its selector's wait, so whoever holds the lock owns the event loop's
// state. A server thread that gets the lock takes the GIL with its own thread state
// (one per OS thread, made once) and, with the event loop set as the thread's running
// loop, takes the request's first step in C (lane.c): the Request is built from the
// server's strings, and the handler is started eagerly, in its own context, inside a
// real Task, exactly as the loop thread would start it (eager.py). One that suspends
// stays with the loop as a Task (the step wakes the loop thread), and its answer comes
// back through exchange. When the lock is taken (the loop is busy, or another thread is in the lane)
// the request is queued as before: the lane never waits, so goroutines never pile up on
// the GIL.

// laneOutcome is what runNow did with a call.
type laneOutcome int

const (
	laneBusy  laneOutcome = iota // not run: queue it
	ranToEnd                     // answered (resp is filled, or resp.Err says why not)
	suspended                    // started; its answer comes through exchange
)

// runNow runs c in the lane if the lane is free.
func (l *Loop) runNow(c *call) laneOutcome {
	// The GIL is held across several cgo calls: they must all be made by this thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if C.bolt_lane_enter() == 0 {
		return laneBusy
	}
	l.mu.Lock()
	if l.isClosed {
		l.mu.Unlock()
		C.bolt_lane_leave(nil)
		return laneBusy // submit then refuses it
	}
	// A slot before Python sees the request: if the handler suspends, its result finds
	// the call there.
	l.track(c)
	l.mu.Unlock()

	a, err := itemArgsOf(c.req)
	if err != nil {
		C.bolt_lane_leave(nil)
		l.untrack(c)
		c.resp.Err = err
		return ranToEnd
	}
	var res *C.PyObject
	ran := C.bolt_lane_run(C.long(c.rid), C.long(c.req.Handler), a.strs, a.lens, a.nparams, a.nheaders,
		a.query, a.qlen, a.body, a.blen, a.bodyFile, a.ctx, &res, &c.view)
	a.release()
	switch {
	case ran < 0:
		err = fetchError()
	case ran == 0:
		C.bolt_lane_leave(res)
		return suspended
	case !fill(c.resp, &c.view, res):
		err = fetchError()
	}
	C.bolt_lane_leave(res)
	l.untrack(c)
	if err != nil {
		c.resp.Err = err
	}
	return ranToEnd
}

// untrack frees the slot of a call answered in the lane. If Close took it meanwhile (and
// signalled the call as lost), the signal is consumed: the answer is here after all.
func (l *Loop) untrack(c *call) {
	l.mu.Lock()
	mine := l.slots[c.rid] == c
	if mine {
		l.slots[c.rid] = nil
		l.free = append(l.free, c.rid)
	}
	l.mu.Unlock()
	if !mine {
		<-c.done
		c.lost = false
	}
}
