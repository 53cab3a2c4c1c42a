package pyhost

/*
#include "bridge.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	"djangobolt/protocol"
)

// Inline runs handlers synchronously on the calling thread, which holds the GIL: the
// in-process test client's way into Python. A Django TestCase's transaction is then
// visible to the handler, because it runs on the test's own thread.
//
// runner(item) receives the same items the event loop gets and returns one result
// tuple (rid, status, headers, body). If it raises, the exception stays with the
// runner (Python re-raises it) and the request gets a 500.
type Inline struct {
	runner *C.PyObject
}

// NewInline takes a reference to runner (a PyObject *; the caller holds the GIL);
// Close gives it back.
func NewInline(runner unsafe.Pointer) *Inline {
	p := &Inline{runner: (*C.PyObject)(runner)}
	C.bolt_incref(p.runner)
	return p
}

// Close releases the runner; the caller holds the GIL.
func (p *Inline) Close() { C.bolt_decref(p.runner) }

var errRunnerFailed = errors.New("the test runner raised an exception")

func (p *Inline) call(item *C.PyObject, err error, resp *protocol.Response) {
	if err != nil {
		resp.Err = err
		return
	}
	res := C.bolt_call_one(p.runner, item)
	C.bolt_decref(item)
	if res == nil {
		C.PyErr_Clear()
		resp.Err = errRunnerFailed
		return
	}
	defer C.bolt_decref(res)
	var v C.bolt_result
	if C.bolt_result_view(res, &v) < 0 || !fill(resp, &v, res) {
		resp.Err = fetchError()
	}
}

// Do runs one request.
func (p *Inline) Do(req *protocol.Request, resp *protocol.Response) error {
	item, err := requestItem(0, req)
	p.call(item, err, resp)
	return nil
}

// Pull fetches the next chunk of a stream.
func (p *Inline) Pull(id int, resp *protocol.Response) {
	item, err := controlItem(0, protocol.KindPull, id)
	p.call(item, err, resp)
}

// CloseStream closes a stream the client stopped reading.
func (p *Inline) CloseStream(id int) {
	var resp protocol.Response
	item, err := controlItem(0, protocol.KindClose, id)
	p.call(item, err, &resp)
}
