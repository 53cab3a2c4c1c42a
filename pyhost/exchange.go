package pyhost

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"djangobolt/protocol"
)

// goExchange implements django_bolt._core.exchange(results): it completes the finished
// results, then takes every waiting item. It runs on the loop thread with the GIL held.
//
//export goExchange
func goExchange(results *C.PyObject) *C.PyObject {
	l := active
	if l == nil {
		setRuntimeError("django_bolt._core.exchange: no server is running in this process")
		return nil
	}
	l.complete(results)
	return l.take()
}

func setRuntimeError(msg string) {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	C.PyErr_SetString(C.PyExc_RuntimeError, cmsg)
}

// complete copies each result into its waiting Response and wakes the submitter. A
// malformed result fails only its own request (with the Python error as Err); a result
// for an id that is not in flight is logged and dropped, never delivered twice.
func (l *Loop) complete(results *C.PyObject) {
	if C.bolt_is_none(results) != 0 {
		return
	}
	n := int(C.PyList_Size(results))
	if n <= 0 {
		C.PyErr_Clear()
		return
	}
	// Reused from batch to batch: complete runs on the loop thread only.
	views := grow(l.views, n)
	errs := grow(l.errs, n)
	l.views, l.errs = views, errs
	defer clear(errs) // errors hold Python text; drop them with the batch
	for i := range views {
		item := C.PyList_GetItem(results, C.Py_ssize_t(i))
		if C.bolt_result_view(item, &views[i]) < 0 {
			errs[i] = fetchError()
			views[i].rid = C.bolt_result_rid(item)
		}
	}
	// Look the calls up and free their slots in one critical section.
	l.waiting = l.waiting[:0]
	l.mu.Lock()
	for i := range views {
		rid := int(views[i].rid)
		var c *call
		if rid >= 0 && rid < len(l.slots) && l.slots[rid] != nil {
			c = l.slots[rid]
			l.slots[rid] = nil
			l.free = append(l.free, rid)
		}
		l.waiting = append(l.waiting, c)
	}
	l.mu.Unlock()
	for i, c := range l.waiting {
		if c == nil {
			l.log.Printf("pyhost: dropped a result for request id %d, which is not in flight", views[i].rid)
			continue
		}
		// abandoned no longer changes: only abandon sets it, while c is in its slot.
		if c.abandoned {
			if errs[i] == nil && views[i].stream >= 0 {
				// The stream was opened for a client that got its error answer: close
				// it now, or its producer would fill a buffer nobody takes and its
				// generator's finally would never run.
				l.CloseStream(int(views[i].stream))
			}
			continue
		}
		switch {
		case errs[i] != nil:
			c.resp.Err = errs[i]
		case !fill(c.resp, &views[i], C.PyList_GetItem(results, C.Py_ssize_t(i))):
			c.resp.Err = fetchError()
		}
		c.done <- struct{}{}
	}
}

// fill copies one result view into resp.
func fill(resp *protocol.Response, v *C.bolt_result, item *C.PyObject) bool {
	resp.Status = int(v.status)
	resp.Stream = int(v.stream)
	if v.file != nil {
		resp.File = string(unsafe.Slice((*byte)(unsafe.Pointer(v.file)), int(v.file_len)))
	}
	for i := 0; i < int(v.nheaders); i++ {
		if i < C.BOLT_VIEW_HEADERS {
			resp.AddHeader(unsafe.Slice((*byte)(unsafe.Pointer(v.name[i])), int(v.name_len[i])),
				unsafe.Slice((*byte)(unsafe.Pointer(v.value[i])), int(v.value_len[i])))
			continue
		}
		var name, value *C.char
		var nlen, vlen C.Py_ssize_t
		if C.bolt_result_header(item, C.int(i), &name, &nlen, &value, &vlen) < 0 {
			return false
		}
		resp.AddHeader(unsafe.Slice((*byte)(unsafe.Pointer(name)), int(nlen)),
			unsafe.Slice((*byte)(unsafe.Pointer(value)), int(vlen)))
	}
	if v.body != nil {
		resp.Body = append(resp.Body[:0], unsafe.Slice((*byte)(unsafe.Pointer(v.body)), int(v.body_len))...)
	}
	return true
}

// take returns the waiting items as a new Python list, or None (and goes to sleep) when
// nothing waits.
func (l *Loop) take() *C.PyObject {
	l.mu.Lock()
	if len(l.queue) == 0 {
		// Clear the wake-up before declaring the loop asleep: a producer writes the
		// eventfd only after it sees awake == false, so no wake-up is lost.
		var buf [8]byte
		_, _ = unix.Read(l.efd, buf[:])
		l.awake = false
		l.mu.Unlock()
		return C.bolt_none()
	}
	batch := l.queue
	l.queue = l.spare[:0]
	l.mu.Unlock()

	// Every call taken here is either handed to Python or failed here: none is left
	// waiting. A call whose item cannot be built (its auth context does not convert,
	// say) gets its error at once and Python never runs it.
	list := C.PyList_New(C.Py_ssize_t(len(batch)))
	if list == nil {
		err := fetchError()
		for _, c := range batch {
			l.fail(c, err)
		}
		l.recycle(batch)
		return C.bolt_none()
	}
	n := 0
	for _, c := range batch {
		item, err := l.item(c)
		if err != nil {
			l.fail(c, err)
			continue
		}
		C.PyList_SetItem(list, C.Py_ssize_t(n), item) // steals item
		n++
	}
	if n < len(batch) && C.PyList_SetSlice(list, C.Py_ssize_t(n), C.Py_ssize_t(len(batch)), nil) < 0 {
		// Cannot happen for a list we own; keep the invariant anyway.
		C.bolt_decref(list)
		list = C.bolt_none()
	}
	l.recycle(batch)
	return list
}

// grow returns s resized to n elements, zeroed, reusing its array when large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func (l *Loop) recycle(batch []*call) {
	clear(batch)
	l.spare = batch[:0]
}

// fail completes c with err without Python: its submitter answers 500 and logs err.
func (l *Loop) fail(c *call, err error) {
	if c.rid < 0 {
		return // fire-and-forget: nobody waits
	}
	l.mu.Lock()
	l.slots[c.rid] = nil
	l.free = append(l.free, c.rid)
	l.mu.Unlock()
	c.resp.Err = err
	c.done <- struct{}{}
}

// item converts one queued call into its tuple (protocol.go).
func (l *Loop) item(c *call) (*C.PyObject, error) {
	if c.ws != nil {
		return l.wsItem(c)
	}
	if c.kind < 0 {
		return controlItem(c.rid, c.kind, c.arg)
	}
	return requestItem(c.rid, c.req)
}
