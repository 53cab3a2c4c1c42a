package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../pyhost
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"io"
	"sync"
	"unsafe"

	"djangobolt/protocol"
	"djangobolt/pyhost"
	"djangobolt/server"
)

// testApp is one app of the in-process test client: the server's pipeline with Python
// run inline on the calling thread, and the bodies of its responses still being read.
type testApp struct {
	app    *server.TestApp
	inline *pyhost.Inline
	bodies map[int]*openBody
	nextID int
}

// openBody is a response body the client reads piece by piece. Reading calls Python,
// which may let another thread in (an async client reads in worker threads): reading
// marks the body busy, and a close asked for meanwhile is done by the reader.
type openBody struct {
	r       io.ReadCloser
	reading bool
	closing bool
}

// The calls come with the GIL held, but Python may release it while a handler or a
// generator runs: mu guards the maps, and is never held while Python runs.
var (
	mu          sync.Mutex
	testApps    = map[int]*testApp{}
	nextTestApp = 1
)

// readSize bounds one read: a stream's chunk larger than this comes in several.
const readSize = 64 << 10

func lookup(id C.long) *testApp {
	mu.Lock()
	defer mu.Unlock()
	return testApps[int(id)]
}

func setError(exc *C.PyObject, msg string) *C.PyObject {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	C.PyErr_SetString(exc, cmsg)
	return nil
}

//export goTestAppCreate
func goTestAppCreate(table *C.char, n C.Py_ssize_t, runner *C.PyObject, httpLayer C.int) *C.PyObject {
	inline := pyhost.NewInline(unsafe.Pointer(runner))
	app, err := server.NewTestApp(C.GoBytes(unsafe.Pointer(table), C.int(n)), inline, httpLayer != 0)
	if err != nil {
		inline.Close()
		return setError(C.PyExc_ValueError, err.Error())
	}
	mu.Lock()
	id := nextTestApp
	nextTestApp++
	testApps[id] = &testApp{app: app, inline: inline, bodies: map[int]*openBody{}}
	mu.Unlock()
	return C.PyLong_FromLong(C.long(id))
}

// goTestAppDestroy closes the bodies still open (their generators' finally blocks run)
// and releases the app.
//
//export goTestAppDestroy
func goTestAppDestroy(id C.long) *C.PyObject {
	mu.Lock()
	a := testApps[int(id)]
	delete(testApps, int(id))
	var open []int
	if a != nil {
		for sid := range a.bodies {
			open = append(open, sid)
		}
	}
	mu.Unlock()
	if a == nil {
		return C.bolt_none()
	}
	for _, sid := range open {
		a.closeBody(sid)
	}
	a.inline.Close()
	return C.bolt_none()
}

//export goTestAppRequest
func goTestAppRequest(id C.long, method *C.char, mlen C.Py_ssize_t, path *C.char, plen C.Py_ssize_t,
	query *C.char, qlen C.Py_ssize_t, headers *C.PyObject, body *C.char, blen C.Py_ssize_t) *C.PyObject {
	a := lookup(id)
	if a == nil {
		return setError(C.PyExc_KeyError, "Invalid test app id")
	}
	n := int(C.PyList_Size(headers))
	kv := make([]protocol.KV, n)
	for i := range kv {
		var name, value *C.char
		var nl, vl C.Py_ssize_t
		if C.bolt_header_pair(headers, C.Py_ssize_t(i), &name, &nl, &value, &vl) < 0 {
			return nil
		}
		kv[i] = protocol.KV{Key: view(name, nl), Value: view(value, vl)}
	}
	var resp protocol.Response
	resp.Reset()
	pending := a.app.Serve(view(method, mlen), view(path, plen), view(query, qlen), kv, view(body, blen), &resp)
	sid := -1
	if pending != nil {
		mu.Lock()
		sid = a.nextID
		a.nextID++
		a.bodies[sid] = &openBody{r: pending}
		mu.Unlock()
	}

	out := C.PyList_New(0)
	for i := 0; i < resp.NumHeaders(); i++ {
		k, v := resp.Header(i)
		C.bolt_list_append(out, pair(k, v))
	}
	return C.bolt_response_tuple(C.long(resp.Status), out, cbytes(resp.Body), C.Py_ssize_t(len(resp.Body)), C.long(sid))
}

// goTestAppRead reads the next piece of an open body: bytes, empty at its end (or when
// it broke: the runner keeps the error). A body read to its end is closed.
//
//export goTestAppRead
func goTestAppRead(id C.long, sid C.long) *C.PyObject {
	a := lookup(id)
	if a == nil {
		return setError(C.PyExc_KeyError, "Invalid test app id")
	}
	mu.Lock()
	b := a.bodies[int(sid)]
	busy := b != nil && b.reading
	if b != nil {
		b.reading = true
	}
	mu.Unlock()
	if b == nil {
		return C.bolt_bytes(nil, 0)
	}
	if busy {
		return setError(C.PyExc_RuntimeError, "the response body is being read by another thread")
	}
	buf := make([]byte, readSize)
	n, err := b.r.Read(buf)
	for n == 0 && err == nil {
		n, err = b.r.Read(buf)
	}
	mu.Lock()
	b.reading = false
	done := err != nil || b.closing
	mu.Unlock()
	if done {
		a.closeBody(int(sid))
	}
	return C.bolt_bytes(cbytes(buf[:n]), C.Py_ssize_t(n))
}

// goTestAppClose closes a body before its end: a stream's generator is closed and its
// finally blocks run (at once, or when a read under way returns).
//
//export goTestAppClose
func goTestAppClose(id C.long, sid C.long) *C.PyObject {
	if a := lookup(id); a != nil {
		a.closeBody(int(sid))
	}
	return C.bolt_none()
}

// closeBody forgets and closes body sid, unless a read is under way: that reader closes it.
func (a *testApp) closeBody(sid int) {
	mu.Lock()
	b := a.bodies[sid]
	if b != nil && b.reading {
		b.closing = true
		b = nil
	} else {
		delete(a.bodies, sid)
	}
	mu.Unlock()
	if b != nil {
		_ = b.r.Close()
	}
}

// view is Python's memory as a Go slice, valid while the call lasts.
func view(p *C.char, n C.Py_ssize_t) []byte {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// cbytes is b as C memory for Python to copy.
func cbytes(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

func pair(k, v []byte) *C.PyObject {
	t := C.PyTuple_New(2)
	C.PyTuple_SetItem(t, 0, C.bolt_str(cbytes(k), C.Py_ssize_t(len(k))))
	C.PyTuple_SetItem(t, 1, C.bolt_str(cbytes(v), C.Py_ssize_t(len(v))))
	return t
}
