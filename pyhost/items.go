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
	nparams, nheaders := C.int(-1), C.int(-1)
	if r.Want&protocol.WantParams != 0 {
		nparams = C.int(r.NParams)
	}
	if r.Want&protocol.WantHeaders != 0 {
		nheaders = C.int(r.NumHeaders())
	}
	query, qlen := (*C.char)(nil), C.Py_ssize_t(-1)
	if r.Want&protocol.WantQuery != 0 {
		query, qlen = cbytes(r.Query), C.Py_ssize_t(len(r.Query))
	}
	body, blen := (*C.char)(nil), C.Py_ssize_t(-1)
	if r.Want&protocol.WantBody != 0 {
		body, blen = cbytes(r.Body), C.Py_ssize_t(len(r.Body))
	}
	var ctx *C.PyObject
	if r.Context != nil {
		var err error
		if ctx, err = toPython(r.Context); err != nil {
			return nil, fmt.Errorf("the auth context cannot be handed to Python: %w", err)
		}
		defer C.bolt_decref(ctx)
	}
	item := C.bolt_request_item(C.long(rid), C.long(r.Handler), cbytes(r.Strs), (*C.int)(unsafe.Pointer(&r.Lens[0])),
		nparams, nheaders, query, qlen, body, blen, ctx)
	if item == nil {
		return nil, fetchError()
	}
	return item, nil
}

// controlItem builds (rid, kind, arg).
func controlItem(rid, kind, arg int) (*C.PyObject, error) {
	item := C.bolt_control_item(C.long(rid), C.long(kind), C.long(arg))
	if item == nil {
		return nil, fetchError()
	}
	return item, nil
}
