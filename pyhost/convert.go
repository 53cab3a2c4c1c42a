package pyhost

/*
#include "bridge.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

// cbytes returns a C view of b without copying; Python copies what it keeps.
func cbytes(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

func cstr(s string) *C.char {
	if len(s) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

// goString copies a Python str into a Go string; a str that is not valid UTF-8 (a
// lone surrogate) is an error, not an empty string.
func goString(o *C.PyObject) (string, error) {
	var n C.Py_ssize_t
	p := C.PyUnicode_AsUTF8AndSize(o, &n)
	if p == nil {
		return "", fetchError()
	}
	return C.GoStringN(p, C.int(n)), nil
}

// toPython converts plain Go values (as found in auth contexts and call arguments) into a
// new Python reference.
func toPython(v any) (*C.PyObject, error) {
	switch x := v.(type) {
	case nil:
		return C.bolt_none(), nil
	case string:
		return C.bolt_str(cstr(x), C.Py_ssize_t(len(x))), nil
	case []byte:
		return C.bolt_bytes(cbytes(x), C.Py_ssize_t(len(x))), nil
	case bool:
		if x {
			return C.PyBool_FromLong(1), nil
		}
		return C.PyBool_FromLong(0), nil
	case int:
		return C.PyLong_FromLongLong(C.longlong(x)), nil
	case int64:
		return C.PyLong_FromLongLong(C.longlong(x)), nil
	case float64:
		return C.PyFloat_FromDouble(C.double(x)), nil
	case json.Number:
		// JWT claims keep numbers exact; Python gets an int when the text is one.
		if n, err := x.Int64(); err == nil {
			return C.PyLong_FromLongLong(C.longlong(n)), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("pyhost: bad number %q", string(x))
		}
		return C.PyFloat_FromDouble(C.double(f)), nil
	case []string:
		l := C.PyList_New(0)
		for _, s := range x {
			if C.bolt_list_append(l, C.bolt_str(cstr(s), C.Py_ssize_t(len(s)))) < 0 {
				C.bolt_decref(l)
				return nil, fetchError()
			}
		}
		return l, nil
	case []any:
		l := C.PyList_New(0)
		for _, e := range x {
			o, err := toPython(e)
			if err != nil {
				C.bolt_decref(l)
				return nil, err
			}
			if C.bolt_list_append(l, o) < 0 {
				C.bolt_decref(l)
				return nil, fetchError()
			}
		}
		return l, nil
	case map[string]any:
		d := C.PyDict_New()
		for k, e := range x {
			o, err := toPython(e)
			if err != nil {
				C.bolt_decref(d)
				return nil, err
			}
			if C.bolt_dict_set(d, cstr(k), C.Py_ssize_t(len(k)), o) < 0 {
				C.bolt_decref(d)
				return nil, fetchError()
			}
		}
		return d, nil
	}
	return nil, fmt.Errorf("pyhost: cannot convert %T to Python", v)
}

// fromPython converts a Python value of a plain type into Go: bytes → []byte, str →
// string, int → int64, float → float64, bool, None → nil, list/tuple → []any,
// dict with str keys → map[string]any.
func fromPython(o *C.PyObject) (any, error) {
	switch C.bolt_kind(o) {
	case C.BOLT_NONE:
		return nil, nil
	case C.BOLT_BOOL:
		return C.PyObject_IsTrue(o) == 1, nil
	case C.BOLT_INT:
		n := C.PyLong_AsLongLong(o)
		if n == -1 && C.PyErr_Occurred() != nil {
			return nil, fetchError()
		}
		return int64(n), nil
	case C.BOLT_FLOAT:
		return float64(C.PyFloat_AsDouble(o)), nil
	case C.BOLT_BYTES:
		var p *C.char
		var n C.Py_ssize_t
		if C.PyBytes_AsStringAndSize(o, &p, &n) < 0 {
			return nil, fetchError()
		}
		return C.GoBytes(unsafe.Pointer(p), C.int(n)), nil
	case C.BOLT_STR:
		return goString(o)
	case C.BOLT_SEQ:
		n := int(C.PySequence_Size(o))
		out := make([]any, n)
		for i := 0; i < n; i++ {
			item := C.PySequence_GetItem(o, C.Py_ssize_t(i))
			if item == nil {
				return nil, fetchError()
			}
			v, err := fromPython(item)
			C.bolt_decref(item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case C.BOLT_DICT:
		items := C.PyDict_Items(o)
		if items == nil {
			return nil, fetchError()
		}
		defer C.bolt_decref(items)
		v, err := fromPython(items)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any)
		for _, kv := range v.([]any) {
			pair := kv.([]any)
			k, ok := pair[0].(string)
			if !ok {
				return nil, fmt.Errorf("pyhost: dict key %v is not a str", pair[0])
			}
			out[k] = pair[1]
		}
		return out, nil
	}
	name := C.bolt_type_name(o)
	defer C.bolt_decref(name)
	typ, _ := goString(name)
	return nil, fmt.Errorf("pyhost: cannot convert a %s to Go", typ)
}
