/* The test client's functions of django_bolt._core, added to the module by
 * bolt_test_client_exec (see pyhost/bridge.c); the server binary has none. */
#include "bridge.h"
#include "_cgo_export.h"

static PyObject *test_app_create(PyObject *self, PyObject *args) {
    (void)self;
    const char *table;
    Py_ssize_t table_len;
    PyObject *runner;
    int http_layer;
    if (!PyArg_ParseTuple(args, "y#Op:test_app_create", &table, &table_len, &runner, &http_layer)) return NULL;
    return goTestAppCreate((char *)table, table_len, runner, http_layer);
}

static PyObject *test_app_request(PyObject *self, PyObject *args) {
    (void)self;
    long app;
    const char *method, *path, *query, *body;
    Py_ssize_t method_len, path_len, query_len, body_len;
    PyObject *headers;
    if (!PyArg_ParseTuple(args, "ls#s#y#O!y#:test_app_request", &app, &method, &method_len, &path, &path_len,
                          &query, &query_len, &PyList_Type, &headers, &body, &body_len))
        return NULL;
    return goTestAppRequest(app, (char *)method, method_len, (char *)path, path_len, (char *)query, query_len,
                            headers, (char *)body, body_len);
}

static PyObject *test_app_read(PyObject *self, PyObject *args) {
    (void)self;
    long app, body;
    if (!PyArg_ParseTuple(args, "ll:test_app_read", &app, &body)) return NULL;
    return goTestAppRead(app, body);
}

static PyObject *test_app_close(PyObject *self, PyObject *args) {
    (void)self;
    long app, body;
    if (!PyArg_ParseTuple(args, "ll:test_app_close", &app, &body)) return NULL;
    return goTestAppClose(app, body);
}

static PyObject *test_app_destroy(PyObject *self, PyObject *arg) {
    (void)self;
    long app = PyLong_AsLong(arg);
    if (app == -1 && PyErr_Occurred()) return NULL;
    return goTestAppDestroy(app);
}

static PyMethodDef test_app_methods[] = {
    {"test_app_create", test_app_create, METH_VARARGS,
     "test_app_create(table: bytes, runner, http_layer: bool) -> int\n\n"
     "Builds an in-process app from a route table; runner(item) runs handlers inline."},
    {"test_app_request", test_app_request, METH_VARARGS,
     "test_app_request(app, method, path, query, headers, body) -> (status, headers, body, body_id)\n\n"
     "Runs one request through the Go pipeline on the calling thread. body_id is None when\n"
     "the body is whole, else the body is still being produced: read it with test_app_read."},
    {"test_app_read", test_app_read, METH_VARARGS,
     "test_app_read(app, body_id) -> bytes\n\n"
     "The next piece of a body as it is produced; b'' at its end, where it is closed."},
    {"test_app_close", test_app_close, METH_VARARGS,
     "test_app_close(app, body_id) -> None\n\n"
     "Closes a body before its end: a stream's generator is closed."},
    {"test_app_destroy", test_app_destroy, METH_O,
     "test_app_destroy(app) -> None\n\nCloses the app's open bodies and releases it."},
    {NULL, NULL, 0, NULL},
};

int bolt_test_client_exec(PyObject *module) { return PyModule_AddFunctions(module, test_app_methods); }
