package pyhost

/*
#include "bridge.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"djangobolt/protocol"
)

// requestItem builds the request tuple (protocol.go) for r. The strings are read where
// the server laid them out (protocol.Request), without another copy. A context that
// cannot be converted is an error, and Python never sees the request.
func requestItem(rid int, r *protocol.Request) (*C.PyObject, error) {
	a, err := itemArgsOf(r)
	if err != nil {
		return nil, err
	}
	defer a.release()
	item := C.bolt_request_item(C.long(rid), C.long(r.Handler), a.strs, a.lens, a.nparams, a.nheaders,
		a.query, a.qlen, a.body, a.blen, a.bodyFile, a.ctx)
	if item == nil {
		return nil, fetchError()
	}
	return item, nil
}

// itemArgs are bolt_request_item's arguments for one request.
type itemArgs struct {
	strs              *C.char
	lens              *C.int
	nparams, nheaders C.int
	query, body       *C.char
	qlen, blen        C.Py_ssize_t
	bodyFile          C.int       // 1: body is the path of the spooled body (a str for Python)
	ctx               *C.PyObject // nil, or a new reference that release drops
}

// itemArgsOf lays r out for C (the GIL is held: the context becomes a Python dict).
func itemArgsOf(r *protocol.Request) (itemArgs, error) {
	a := itemArgs{strs: cbytes(r.Strs), lens: (*C.int)(unsafe.Pointer(&r.Lens[0])), nparams: -1, nheaders: -1, qlen: -1, blen: -1}
	if r.Want&protocol.WantParams != 0 {
		a.nparams = C.int(r.NParams)
	}
	if r.Want&protocol.WantHeaders != 0 {
		a.nheaders = C.int(r.NumHeaders())
	}
	if r.Want&protocol.WantQuery != 0 {
		a.query, a.qlen = cbytes(r.Query), C.Py_ssize_t(len(r.Query))
	}
	if r.Want&protocol.WantBody != 0 {
		a.body, a.blen = cbytes(r.Body), C.Py_ssize_t(len(r.Body))
		if r.BodyFile {
			a.bodyFile = 1
		}
	}
	if r.Context != nil {
		ctx, err := toPython(r.Context)
		if err != nil {
			return a, fmt.Errorf("the auth context cannot be handed to Python: %w", err)
		}
		a.ctx = ctx
	}
	return a, nil
}

func (a *itemArgs) release() {
	if a.ctx != nil {
		C.bolt_decref(a.ctx)
	}
}

// controlItem builds (rid, kind, arg).
func controlItem(rid, kind, arg int) (*C.PyObject, error) {
	item := C.bolt_control_item(C.long(rid), C.long(kind), C.long(arg))
	if item == nil {
		return nil, fetchError()
	}
	return item, nil
}
