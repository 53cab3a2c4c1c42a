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
)

// Item kinds understood by django_bolt._runtime.loop; a request carries its handler id (>= 0).
const (
	kindPull  = -1 // next chunk of a stream
	kindClose = -2 // the client went away: close a stream
	kindStop  = -3 // stop the event loop
)

// Want says which parts of a request the route's binding plan reads; only those cross
// into Python.
type Want uint8

const (
	WantParams Want = 1 << iota
	WantQuery
	WantHeaders
	WantBody
)

// KV is a name/value pair viewing memory owned by the caller.
type KV struct{ Key, Value []byte }

// Request is one call of a Python handler. Its slices may point into the server's
// buffers: they are read on the loop thread while the submitting goroutine waits.
type Request struct {
	Handler int
	Want    Want
	Method  []byte
	Path    []byte
	Params  []KV
	Query   []byte
	Headers []KV // names lower-case
	Body    []byte
	Context map[string]any // the auth context; nil when the route has none
}

// Response is what Python answered. It owns its memory, so it outlives the Python objects.
type Response struct {
	Status int
	Body   []byte
	// Stream is the id of a stream to Pull chunks from, or -1 for a buffered body.
	Stream int
	// Err is set when Python could not produce a response at all (a bug, not a handler error).
	Err error

	buf  []byte
	hdrs []int32 // offsets into buf: name start, name end, value end per header
}

// Reset prepares r for reuse.
func (r *Response) Reset() {
	r.Status, r.Body, r.Stream, r.Err = 0, r.Body[:0], -1, nil
	r.buf, r.hdrs = r.buf[:0], r.hdrs[:0]
}

// NumHeaders is the number of headers Python set.
func (r *Response) NumHeaders() int { return len(r.hdrs) / 3 }

// Header returns header i; the slices stay valid until Reset.
func (r *Response) Header(i int) (name, value []byte) {
	h := r.hdrs[3*i:]
	return r.buf[h[0]:h[1]], r.buf[h[1]:h[2]]
}

// AddHeader appends a header; the server's tests use it to stand in for Python.
func (r *Response) AddHeader(name, value []byte) {
	start := int32(len(r.buf))
	r.buf = append(r.buf, name...)
	mid := int32(len(r.buf))
	r.buf = append(r.buf, value...)
	r.hdrs = append(r.hdrs, start, mid, int32(len(r.buf)))
}

// call is one queued item and the channel its submitter waits on.
type call struct {
	rid  int // slot index, -1 for fire-and-forget items
	kind int
	arg  int
	req  *Request
	resp *Response
	ws   *wsEvent // WebSocket items (websocket.go)
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
	items   itemBuilder
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
func (l *Loop) Do(req *Request, resp *Response) {
	c := callPool.Get().(*call)
	c.kind, c.req, c.resp = req.Handler, req, resp
	l.submit(c, true)
	<-c.done
	c.req, c.resp = nil, nil
	callPool.Put(c)
}

// Pull fetches the next chunk of stream id into resp: Status 0 = a chunk in Body,
// 1 = the stream ended, 2 = it failed (Err says why).
func (l *Loop) Pull(id int, resp *Response) {
	c := callPool.Get().(*call)
	c.kind, c.arg, c.resp = kindPull, id, resp
	l.submit(c, true)
	<-c.done
	c.resp = nil
	callPool.Put(c)
}

// CloseStream tells Python that nobody will pull stream id again.
func (l *Loop) CloseStream(id int) {
	l.submit(&call{kind: kindClose, arg: id}, false)
}

// Stop asks the event loop to stop; Serve then returns.
func (l *Loop) Stop() {
	l.submit(&call{kind: kindStop}, false)
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
