/* Argument parsing of the django_bolt._core stream functions (pyhost/stream.go). */
#include "stream.h"
#include "_cgo_export.h"

PyObject *bolt_core_stream_open(PyObject *self, PyObject *is_async) {
    (void)self;
    int async = PyObject_IsTrue(is_async);
    if (async < 0) return NULL;
    long id = goStreamOpen(async);
    if (id < 0) return NULL;
    return PyLong_FromLong(id);
}

PyObject *bolt_core_stream_put(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyBytes_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "stream_put(id: int, chunk: bytes)");
        return NULL;
    }
    long id = PyLong_AsLong(args[0]);
    if (id == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(goStreamPut(id, PyBytes_AS_STRING(args[1]), PyBytes_GET_SIZE(args[1])));
}

PyObject *bolt_core_stream_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || (args[1] != Py_None && !PyUnicode_Check(args[1]))) {
        PyErr_SetString(PyExc_TypeError, "stream_end(id: int, error: str | None)");
        return NULL;
    }
    long id = PyLong_AsLong(args[0]);
    if (id == -1 && PyErr_Occurred()) return NULL;
    const char *msg = NULL;
    Py_ssize_t n = 0;
    if (args[1] != Py_None) {
        msg = PyUnicode_AsUTF8AndSize(args[1], &n);
        if (!msg) return NULL;
    }
    goStreamEnd(id, (char *)msg, n);
    Py_RETURN_NONE;
}
