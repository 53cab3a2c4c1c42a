package pyhost

/*
#include "stream.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"djangobolt/protocol"
)

// Streams: Python produces, the response writer consumes.
//
// Each open StreamingResponse has a stream here: a bounded buffer that a producer in
// Python fills through django_bolt._core.stream_put and the server's goroutine drains
// through Pull. The producer of a sync generator is a worker thread that runs it for
// as long as the buffer has room (_runtime/streams.py); that of an async generator is
// a task on the loop. So a chunk costs one call into Go and no thread hand-off on the
// way out, where a pull per chunk cost a round trip through the loop (and the worker
// pool) each.
//
// Flow control: stream_put answers streamFull once the buffer holds streamHighWater
// bytes; the producer then stops and the stream is parked. When the writer takes
// the buffered bytes of a parked stream, it asks Python to produce again (a KindPull
// item: resume stream arg). A producer never blocks in Go, so no Python thread ever
// waits here with the GIL.
//
// The end: the producer reports it exactly once, with stream_end (exhausted, failed,
// or closed). The writer going away (a disconnect, HEAD) marks the stream gone: a
// running producer sees streamGone at its next put and closes its generator itself;
// a parked one is closed by Python on a KindClose item. A running async producer is
// told as well (KindClose cancels its task, so a generator waiting for its next
// event is closed at once). The stream is forgotten when both sides are done.

// streamHighWater is how many bytes a stream buffers before its producer stops.
const streamHighWater = 64 << 10

// Answers of stream_put; _runtime/streams.py has the same values.
const (
	streamMore = 0 // keep producing
	streamFull = 1 // stop: the writer resumes the stream when it has taken the bytes
	streamGone = 2 // nobody reads: close the generator (then stream_end)
)

type stream struct {
	async bool

	mu        sync.Mutex
	pending   []byte // produced, not yet taken (chunk boundaries do not matter on the wire)
	failure   []byte // the producer's error message, once it failed
	producing bool   // a producer runs (false: parked, or done)
	done      bool   // the producer ended (stream_end)
	gone      bool   // the writer will not take again
	waiting   bool   // the writer waits on ready
	ready     chan struct{}
}

// streams is the table of open streams of the process's loop, by id.
type streams struct {
	mu   sync.Mutex
	open map[int]*stream
	next int
}

func (t *streams) get(id int) *stream {
	t.mu.Lock()
	s := t.open[id]
	t.mu.Unlock()
	return s
}

func (t *streams) forget(id int) {
	t.mu.Lock()
	delete(t.open, id)
	t.mu.Unlock()
}

// goStreamOpen implements django_bolt._core.stream_open(is_async) -> id: a new stream
// whose producer starts at once.
//
//export goStreamOpen
func goStreamOpen(async C.int) C.long {
	l := active
	if l == nil {
		setRuntimeError("django_bolt._core.stream_open: no server is running in this process")
		return -1
	}
	return C.long(l.streams.add(async != 0))
}

// add opens a stream whose producer is running.
func (t *streams) add(async bool) int {
	s := &stream{async: async, producing: true, ready: make(chan struct{}, 1)}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		t.open = map[int]*stream{}
	}
	id := t.next
	t.next++
	t.open[id] = s
	return id
}

// goStreamPut implements django_bolt._core.stream_put(id, chunk) -> streamMore,
// streamFull or streamGone. It copies the chunk and never blocks.
//
//export goStreamPut
func goStreamPut(id C.long, data *C.char, n C.Py_ssize_t) C.long {
	l := active
	if l == nil {
		return streamGone
	}
	s := l.streams.get(int(id))
	if s == nil {
		return streamGone
	}
	s.mu.Lock()
	if s.gone {
		s.mu.Unlock()
		return streamGone
	}
	s.pending = append(s.pending, unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n))...)
	answer := C.long(streamMore)
	if len(s.pending) >= streamHighWater {
		s.producing = false
		answer = streamFull
	}
	s.wake()
	s.mu.Unlock()
	return answer
}

// goStreamEnd implements django_bolt._core.stream_end(id, error): the producer is
// finished; error (NULL for none) is the message of the exception that ended it.
//
//export goStreamEnd
func goStreamEnd(id C.long, msg *C.char, n C.Py_ssize_t) {
	l := active
	if l == nil {
		return
	}
	s := l.streams.get(int(id))
	if s == nil {
		return
	}
	s.mu.Lock()
	s.done, s.producing = true, false
	if msg != nil {
		s.failure = append([]byte{}, unsafe.Slice((*byte)(unsafe.Pointer(msg)), int(n))...)
	}
	finished := s.gone
	s.wake()
	s.mu.Unlock()
	if finished {
		l.streams.forget(int(id))
	}
}

// wake releases the writer if it waits; s.mu is held.
func (s *stream) wake() {
	if s.waiting {
		s.waiting = false
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

// Pull takes everything stream id has produced since the last Pull into resp.Body
// (Status protocol.Chunk), waiting for the producer when nothing is buffered; or
// reports the end (End, or Failed with the message as the body). A stream that does
// not exist has ended. When the loop closes first, resp.Err says so.
func (l *Loop) Pull(id int, resp *protocol.Response) {
	s := l.streams.get(id)
	if s == nil {
		resp.Status = protocol.End
		return
	}
	s.mu.Lock()
	for len(s.pending) == 0 && !s.done {
		if !s.producing {
			s.producing = true
			s.mu.Unlock()
			l.submit(&call{kind: protocol.KindPull, arg: id}, false)
			s.mu.Lock()
			continue
		}
		s.waiting = true
		s.mu.Unlock()
		select {
		case <-s.ready:
		case <-l.closed:
			resp.Status, resp.Err = protocol.Failed, ErrNoAnswer
			return
		}
		s.mu.Lock()
	}
	switch {
	case len(s.pending) > 0:
		// Swap buffers: the producer appends to the writer's previous one.
		resp.Status = protocol.Chunk
		resp.Body, s.pending = s.pending, resp.Body[:0]
		if !s.producing && !s.done {
			// Parked on a full buffer: produce the next batch while this one is written.
			s.producing = true
			s.mu.Unlock()
			l.submit(&call{kind: protocol.KindPull, arg: id}, false)
			return
		}
		s.mu.Unlock()
	default:
		resp.Status, resp.Body = protocol.End, resp.Body[:0]
		if s.failure != nil {
			resp.Status, resp.Body = protocol.Failed, append(resp.Body, s.failure...)
		}
		s.gone = true
		s.mu.Unlock()
		l.streams.forget(id)
	}
}

// Waiting reports whether Pull(id) would wait for the producer: nothing is buffered and
// the producer has not ended.
func (l *Loop) Waiting(id int) bool {
	s := l.streams.get(id)
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) == 0 && !s.done
}

// CloseStream tells Python that nobody will pull stream id again: the generator is
// closed (its finally blocks run) unless it has ended.
func (l *Loop) CloseStream(id int) {
	s := l.streams.get(id)
	if s == nil {
		return
	}
	s.mu.Lock()
	s.gone = true
	s.pending = nil
	// A running sync producer sees streamGone at its next put; Python is told about
	// the others (a parked stream, a running async one).
	tell := !s.done && (!s.producing || s.async)
	finished := s.done
	s.mu.Unlock()
	if finished {
		l.streams.forget(id)
	}
	if tell {
		l.submit(&call{kind: protocol.KindClose, arg: id}, false)
	}
}
