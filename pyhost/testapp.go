package pyhost

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"bytes"
	"io"
	"net"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// AppFactory builds the request handler of an in-process test app from a route table.
// The main package sets it (it can import the server package, which imports this one).
var AppFactory func(table []byte, py *Inline, httpLayer bool) (fasthttp.RequestHandler, error)

type testApp struct {
	handler fasthttp.RequestHandler
	inline  *Inline
}

// Apps are only touched with the GIL held, which serialises access.
var (
	testApps    = map[int]*testApp{}
	nextTestApp = 1
)

var testClientAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}

func setError(exc *C.PyObject, msg string) *C.PyObject {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	C.PyErr_SetString(exc, cmsg)
	return nil
}

//export goTestAppCreate
func goTestAppCreate(table *C.char, n C.Py_ssize_t, runner *C.PyObject, httpLayer C.int) *C.PyObject {
	if AppFactory == nil {
		return setError(C.PyExc_RuntimeError, "django_bolt._core was built without the test client")
	}
	inline := &Inline{runner: runner}
	handler, err := AppFactory(C.GoBytes(unsafe.Pointer(table), C.int(n)), inline, httpLayer != 0)
	if err != nil {
		return setError(C.PyExc_ValueError, err.Error())
	}
	C.bolt_incref(runner)
	id := nextTestApp
	nextTestApp++
	testApps[id] = &testApp{handler: handler, inline: inline}
	return C.PyLong_FromLong(C.long(id))
}

//export goTestAppDestroy
func goTestAppDestroy(id C.long) *C.PyObject {
	if app, ok := testApps[int(id)]; ok {
		C.bolt_decref(app.inline.runner)
		delete(testApps, int(id))
	}
	return C.bolt_none()
}

//export goTestAppRequest
func goTestAppRequest(id C.long, method *C.char, mlen C.Py_ssize_t, path *C.char, plen C.Py_ssize_t,
	query *C.char, qlen C.Py_ssize_t, headers *C.PyObject, body *C.char, blen C.Py_ssize_t) *C.PyObject {
	app, ok := testApps[int(id)]
	if !ok {
		return setError(C.PyExc_KeyError, "Invalid test app id")
	}
	var req fasthttp.Request
	req.Header.SetMethodBytes(view(method, mlen))
	uri := append([]byte(nil), view(path, plen)...)
	if qlen > 0 {
		uri = append(append(uri, '?'), view(query, qlen)...)
	}
	req.SetRequestURIBytes(uri)
	n := int(C.PyList_Size(headers))
	for i := 0; i < n; i++ {
		var name, value *C.char
		var nl, vl C.Py_ssize_t
		if C.bolt_header_pair(headers, C.Py_ssize_t(i), &name, &nl, &value, &vl) < 0 {
			return nil
		}
		req.Header.AddBytesKV(view(name, nl), view(value, vl))
	}
	req.SetBody(view(body, blen))

	var ctx fasthttp.RequestCtx
	ctx.Init(&req, testClientAddr, nil)
	app.handler(&ctx)

	respBody := collectBody(&ctx.Response)
	if ctx.IsHead() {
		respBody = nil
	}
	out := C.PyList_New(0)
	ctx.Response.Header.VisitAll(func(k, v []byte) {
		if !bytes.EqualFold(k, []byte(fasthttp.HeaderTransferEncoding)) {
			C.bolt_list_append(out, pair(k, v))
		}
	})
	return C.bolt_response_tuple(C.long(ctx.Response.StatusCode()), out, cbytes(respBody), C.Py_ssize_t(len(respBody)))
}

// collectBody reads a streamed body (a file or a StreamingResponse) whole. A stream
// that fails keeps what it produced before, as a client on a connection would see;
// the response then carries the collected length instead of chunked framing.
func collectBody(resp *fasthttp.Response) []byte {
	if !resp.IsBodyStream() {
		return resp.Body()
	}
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, resp.BodyStream())
	resp.CloseBodyStream()
	resp.SetBodyRaw(buf.Bytes())
	resp.Header.SetContentLength(buf.Len())
	return buf.Bytes()
}

func view(p *C.char, n C.Py_ssize_t) []byte {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

func pair(k, v []byte) *C.PyObject {
	t := C.PyTuple_New(2)
	C.PyTuple_SetItem(t, 0, C.bolt_str(cbytes(k), C.Py_ssize_t(len(k))))
	C.PyTuple_SetItem(t, 1, C.bolt_str(cbytes(v), C.Py_ssize_t(len(v))))
	return t
}
