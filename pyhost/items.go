package pyhost

/*
#include "bridge.h"
*/
import "C"

// itemBuilder turns Requests into the tuples the Python side runs. Its buffers are
// reused, so it belongs to one thread (the one holding the GIL for the call).
type itemBuilder struct {
	scratch []byte
	lens    []C.int
}

// request builds (rid, handler, method, path, params, query, headers, body, context).
// A context that cannot be converted is reported in resp.Err.
func (b *itemBuilder) request(rid int, r *Request, resp *Response) *C.PyObject {
	b.scratch = append(b.scratch[:0], r.Method...)
	b.scratch = append(b.scratch, r.Path...)
	b.lens = append(b.lens[:0], C.int(len(r.Method)), C.int(len(r.Path)))
	nparams, nheaders := C.int(-1), C.int(-1)
	if r.Want&WantParams != 0 {
		nparams = C.int(len(r.Params))
		b.appendPairs(r.Params)
	}
	if r.Want&WantHeaders != 0 {
		nheaders = C.int(len(r.Headers))
		b.appendPairs(r.Headers)
	}
	query, qlen := (*C.char)(nil), C.Py_ssize_t(-1)
	if r.Want&WantQuery != 0 {
		query, qlen = cbytes(r.Query), C.Py_ssize_t(len(r.Query))
	}
	body, blen := (*C.char)(nil), C.Py_ssize_t(-1)
	if r.Want&WantBody != 0 {
		body, blen = cbytes(r.Body), C.Py_ssize_t(len(r.Body))
	}
	var ctx *C.PyObject
	if r.Context != nil {
		var err error
		if ctx, err = toPython(r.Context); err != nil {
			resp.Err = err
		} else {
			defer C.bolt_decref(ctx)
		}
	}
	return C.bolt_request_item(C.long(rid), C.long(r.Handler), cbytes(b.scratch), &b.lens[0],
		nparams, nheaders, query, qlen, body, blen, ctx)
}

func (b *itemBuilder) appendPairs(kvs []KV) {
	for _, kv := range kvs {
		b.scratch = append(b.scratch, kv.Key...)
		b.scratch = append(b.scratch, kv.Value...)
		b.lens = append(b.lens, C.int(len(kv.Key)), C.int(len(kv.Value)))
	}
}
