package pyhost

/*
#include <stdlib.h>
#include "bridge.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Initialize starts the interpreter on the calling OS thread, which must stay locked to
// its goroutine for the life of the process: that thread becomes Python's main thread,
// holds the GIL on return, and is the one that later runs the event loop.
//
// executable is the interpreter that ran manage.py; getpath derives sys.prefix from it,
// which is how a virtualenv's site-packages are found.
func Initialize(executable, programName string) error {
	cexe := C.CString(executable)
	defer C.free(unsafe.Pointer(cexe))
	cname := C.CString(programName)
	defer C.free(unsafe.Pointer(cname))
	if msg := C.bolt_initialize(cexe, cname); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("starting Python (%s): %s", executable, C.GoString(msg))
	}
	return nil
}

// CompiledVersion is the Python version ("3.11") whose libpython this binary links.
func CompiledVersion() string { return C.GoString(C.bolt_compiled_version()) }

// Error is a Python exception turned into a Go error; Error() holds the formatted traceback.
type Error struct{ Traceback string }

func (e *Error) Error() string { return e.Traceback }

// fetchError converts the pending Python exception (which it clears) into an *Error.
func fetchError() error {
	text := C.bolt_fetch_error()
	if text == nil {
		return errors.New("python: unknown error")
	}
	defer C.bolt_decref(text)
	var n C.Py_ssize_t
	p := C.PyUnicode_AsUTF8AndSize(text, &n)
	if p == nil {
		// The traceback itself cannot be encoded: keep what can be said.
		C.PyErr_Clear()
		return &Error{Traceback: "python: an exception whose text is not valid UTF-8"}
	}
	return &Error{Traceback: C.GoStringN(p, C.int(n))}
}

// Call runs module.fn(*args) with the GIL held by the caller and returns its result
// converted by fromPython (bytes, str, int, bool, None, list and dict are supported).
func Call(module, fn string, args ...any) (any, error) {
	cmod := C.CString(module)
	defer C.free(unsafe.Pointer(cmod))
	cfn := C.CString(fn)
	defer C.free(unsafe.Pointer(cfn))
	tuple, err := toPython(args)
	if err != nil {
		return nil, err
	}
	defer C.bolt_decref(tuple)
	pyArgs := C.PyList_AsTuple(tuple)
	if pyArgs == nil {
		return nil, fetchError()
	}
	defer C.bolt_decref(pyArgs)
	res := C.bolt_call(cmod, cfn, pyArgs)
	if res == nil {
		return nil, fetchError()
	}
	defer C.bolt_decref(res)
	return fromPython(res)
}
