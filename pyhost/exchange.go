package pyhost

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"log"
	"unsafe"

	"golang.org/x/sys/unix"
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
	views := make([]C.bolt_result, n)
	errs := make([]error, n)
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
			log.Printf("pyhost: dropped a result for request id %d, which is not in flight", views[i].rid)
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
func fill(resp *Response, v *C.bolt_result, item *C.PyObject) bool {
	resp.Status = int(v.status)
	resp.Stream = int(v.stream)
	for i := 0; i < int(v.nheaders); i++ {
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

	list := C.PyList_New(C.Py_ssize_t(len(batch)))
	if list == nil {
		return nil
	}
	for i, c := range batch {
		item := l.item(c)
		if item == nil {
			C.bolt_decref(list)
			return nil
		}
		C.PyList_SetItem(list, C.Py_ssize_t(i), item) // steals item
	}
	clear(batch)
	l.spare = batch[:0]
	return list
}

// item converts one queued call into the tuple django_bolt._runtime.loop expects.
func (l *Loop) item(c *call) *C.PyObject {
	if c.ws != nil {
		return l.wsItem(c)
	}
	if c.kind < 0 {
		return C.bolt_control_item(C.long(c.rid), C.long(c.kind), C.long(c.arg))
	}
	return l.items.request(c.rid, c.req, c.resp)
}
