package main

/*
#cgo CFLAGS: -I${SRCDIR}/../../pyhost
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"unsafe"

	"djangobolt/protocol"
	"djangobolt/pyhost"
	"djangobolt/server"
)

// testApp is one app of the in-process test client: the server's pipeline with Python
// run inline on the calling thread.
type testApp struct {
	app    *server.TestApp
	inline *pyhost.Inline
}

// Apps are only touched with the GIL held, which serialises access.
var (
	testApps    = map[int]*testApp{}
	nextTestApp = 1
)

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
	id := nextTestApp
	nextTestApp++
	testApps[id] = &testApp{app: app, inline: inline}
	return C.PyLong_FromLong(C.long(id))
}

//export goTestAppDestroy
func goTestAppDestroy(id C.long) *C.PyObject {
	if a, ok := testApps[int(id)]; ok {
		a.inline.Close()
		delete(testApps, int(id))
	}
	return C.bolt_none()
}

//export goTestAppRequest
func goTestAppRequest(id C.long, method *C.char, mlen C.Py_ssize_t, path *C.char, plen C.Py_ssize_t,
	query *C.char, qlen C.Py_ssize_t, headers *C.PyObject, body *C.char, blen C.Py_ssize_t) *C.PyObject {
	a, ok := testApps[int(id)]
	if !ok {
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
	a.app.Serve(view(method, mlen), view(path, plen), view(query, qlen), kv, view(body, blen), &resp)

	out := C.PyList_New(0)
	for i := 0; i < resp.NumHeaders(); i++ {
		k, v := resp.Header(i)
		C.bolt_list_append(out, pair(k, v))
	}
	return C.bolt_response_tuple(C.long(resp.Status), out, cbytes(resp.Body), C.Py_ssize_t(len(resp.Body)))
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
