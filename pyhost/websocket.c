/* C helpers of the WebSocket items and commands (pyhost/websocket.go). */
#include "websocket.h"
#include "_cgo_export.h"

PyObject *bolt_core_ws_send(PyObject *self, PyObject *commands) {
    (void)self;
    if (!PyList_Check(commands)) {
        PyErr_SetString(PyExc_TypeError, "ws_send takes a list of command tuples");
        return NULL;
    }
    return goWSSend(commands);
}

PyObject *bolt_ws_open_item(long conn, long kind, PyObject *request) {
    if (!request) return NULL;
    return Py_BuildValue("(llN)", conn, kind, request);
}

PyObject *bolt_ws_message_item(long conn, long kind, int text, const char *data, Py_ssize_t n) {
    PyObject *payload = text ? PyUnicode_DecodeUTF8(data, n, "strict") : PyBytes_FromStringAndSize(data, n);
    if (!payload) return NULL;
    return Py_BuildValue("(llN)", conn, kind, payload);
}

PyObject *bolt_ws_closed_item(long conn, long kind, long code, const char *reason, Py_ssize_t n) {
    PyObject *r = PyUnicode_DecodeUTF8(reason, n, "replace");
    if (!r) return NULL;
    return Py_BuildValue("(lllN)", conn, kind, code, r);
}

int bolt_ws_command_view(PyObject *item, bolt_ws_command *out) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 4) {
        PyErr_SetString(PyExc_TypeError, "a WebSocket command must be a 4-tuple (conn, op, payload, extra)");
        return -1;
    }
    out->conn = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    out->op = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
    if (PyErr_Occurred()) return -1;
    PyObject *payload = PyTuple_GET_ITEM(item, 2);
    out->data = NULL;
    out->len = 0;
    if (PyUnicode_Check(payload)) {
        out->data = PyUnicode_AsUTF8AndSize(payload, &out->len);
        if (!out->data) return -1;
    } else if (PyBytes_Check(payload)) {
        out->data = PyBytes_AS_STRING(payload);
        out->len = PyBytes_GET_SIZE(payload);
    } else if (payload != Py_None) {
        PyErr_SetString(PyExc_TypeError, "a WebSocket command payload must be str, bytes or None");
        return -1;
    }
    PyObject *extra = PyTuple_GET_ITEM(item, 3);
    out->code = 0;
    out->headers = NULL;
    if (PyList_Check(extra)) {
        out->headers = extra;
    } else if (PyLong_Check(extra)) {
        out->code = PyLong_AsLong(extra);
        if (PyErr_Occurred()) return -1;
    } else if (extra != Py_None) {
        PyErr_SetString(PyExc_TypeError, "a WebSocket command's last field must be an int, a header list or None");
        return -1;
    }
    return 0;
}
