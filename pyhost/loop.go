package pyhost

/*
#include "bridge.h"
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"sync"

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
	done chan struct{}
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// Loop hands work from server goroutines to the one thread that runs the asyncio loop.
//
// Producers append to a queue and write the eventfd only when the loop is not already
// awake, so wake-ups coalesce. The loop thread drains every pending item per wake-up
// and returns all finished results in the same call that takes the next batch.
type Loop struct {
	efd int

	mu    sync.Mutex
	queue []*call
	awake bool
	slots []*call // in-flight calls by request id
	free  []int

	// Used only on the loop thread.
	spare   []*call
	waiting []*call
}

// active is the loop that django_bolt._core.exchange serves in this process.
var active *Loop

// NewLoop creates the loop bridge and makes it the one Python's exchange() talks to.
func NewLoop() (*Loop, error) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pyhost: eventfd: %w", err)
	}
	l := &Loop{efd: efd}
	active = l
	return l, nil
}

// FD is the eventfd the event loop watches with add_reader.
func (l *Loop) FD() int { return l.efd }

// Do runs req in Python and blocks until resp is filled.
func (l *Loop) Do(req *protocol.Request, resp *protocol.Response) {
	c := callPool.Get().(*call)
	c.kind, c.req, c.resp = req.Handler, req, resp
	l.submit(c, true)
	<-c.done
	c.req, c.resp = nil, nil
	callPool.Put(c)
}

// Pull fetches the next chunk of stream id into resp; Status is a pull status
// (protocol.Chunk, End or Failed).
func (l *Loop) Pull(id int, resp *protocol.Response) {
	c := callPool.Get().(*call)
	c.kind, c.arg, c.resp = protocol.KindPull, id, resp
	l.submit(c, true)
	<-c.done
	c.resp = nil
	callPool.Put(c)
}

// CloseStream tells Python that nobody will pull stream id again.
func (l *Loop) CloseStream(id int) {
	l.submit(&call{kind: protocol.KindClose, arg: id}, false)
}

// Stop asks the event loop to stop; Serve then returns.
func (l *Loop) Stop() {
	l.submit(&call{kind: protocol.KindStop}, false)
}

func (l *Loop) submit(c *call, tracked bool) {
	l.mu.Lock()
	if tracked {
		if n := len(l.free); n > 0 {
			c.rid = l.free[n-1]
			l.free = l.free[:n-1]
			l.slots[c.rid] = c
		} else {
			c.rid = len(l.slots)
			l.slots = append(l.slots, c)
		}
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
}
