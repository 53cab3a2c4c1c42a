/* The Request the lane hands to a handler (lane.c), built without running its __init__.
 *
 * Request (django_bolt/request.py) keeps everything in __slots__, so a request is an
 * object and twelve pointers. Calling the class costs an argument tuple, a Python frame
 * for __init__ and twelve attribute stores; storing the slots from C costs none of that.
 * This file does what __init__ does with its arguments, and request.py says so beside
 * __init__: the two change together (TestLoopLaneBuildsTheLoopsRequest compares them).
 *
 * The layout is read from the class when the lane opens: each slot's offset from its
 * member descriptor. A slot this file does not know stops the lane from opening, so a
 * new one cannot be left unset. */
#include "bridge.h"
#include <structmember.h>

/* Request's slots: the fields __init__ takes, then the caches it sets to None. */
enum {
    R_METHOD,
    R_PATH,
    R_BODY,
    R_CONTEXT,
    R_BODY_FILE,
    R_PARAMS,
    R_RAW_QUERY,
    R_HEADERS,
    R_QUERY, /* the caches */
    R_QUERY_LISTS,
    R_COOKIES,
    R_STATE,
    R_SLOTS
};

static const char *slot_names[R_SLOTS] = {"method",  "path",     "body",         "context",  "_body_file", "_params",
                                          "_raw_query", "_headers", "_query", "_query_lists", "_cookies", "_state"};

static PyTypeObject *request_type;
static Py_ssize_t slot_offset[R_SLOTS];

int bolt_request_layout(PyObject *cls) {
    Py_CLEAR(request_type);
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "lane_begin: the Request class is not a class");
        return -1;
    }
    PyTypeObject *type = (PyTypeObject *)cls;
    if (type->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_Format(PyExc_TypeError, "%s has a __new__ of its own: the lane builds it with tp_alloc only",
                     type->tp_name);
        return -1;
    }
    PyObject *slots = PyObject_GetAttrString(cls, "__slots__");
    PyObject *names = slots ? PySequence_Tuple(slots) : NULL;
    Py_XDECREF(slots);
    if (!names) return -1;
    int ok = 1;
    if (PyTuple_GET_SIZE(names) != R_SLOTS) {
        PyErr_Format(PyExc_TypeError, "%s has %zd slots, the lane fills %d (pyhost/request.c): %R", type->tp_name,
                     PyTuple_GET_SIZE(names), R_SLOTS, names);
        ok = 0;
    }
    for (int i = 0; ok && i < R_SLOTS; i++) {
        PyObject *name = PyUnicode_FromString(slot_names[i]);
        int has = name ? PySequence_Contains(names, name) : -1;
        PyObject *descr = has == 1 ? PyObject_GetAttr(cls, name) : NULL;
        if (has == 0) {
            PyErr_Format(PyExc_TypeError, "%s has no slot %R, which the lane fills (pyhost/request.c): %R",
                         type->tp_name, name, names);
        } else if (descr && (!Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
                             ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX ||
                             ((PyMemberDescrObject *)descr)->d_member->flags & READONLY)) {
            PyErr_Format(PyExc_TypeError, "%s.%U is not a writable slot", type->tp_name, name);
        } else if (descr) {
            slot_offset[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        }
        ok = descr && !PyErr_Occurred();
        Py_XDECREF(descr);
        Py_XDECREF(name);
    }
    Py_DECREF(names);
    if (!ok) return -1;
    Py_INCREF(cls);
    request_type = type;
    return 0;
}

void bolt_request_layout_clear(void) { Py_CLEAR(request_type); }

PyObject *bolt_request_new(const char *strs, const int *lens, int nparams, int nheaders, const char *query,
                           Py_ssize_t qlen, const char *body, Py_ssize_t blen, int body_file, PyObject *context) {
    /* method, path, params, query, headers, body, context: None where not sent. */
    PyObject *f[BOLT_REQUEST_FIELDS];
    if (bolt_request_fields(f, strs, lens, nparams, nheaders, query, qlen, body, blen, body_file, context) < 0)
        return NULL;
    PyObject *v[R_SLOTS];
    v[R_METHOD] = f[0];
    v[R_PATH] = f[1];
    v[R_PARAMS] = f[2];
    v[R_RAW_QUERY] = f[3];
    v[R_HEADERS] = f[4];
    v[R_BODY] = f[5];
    v[R_CONTEXT] = f[6];
    v[R_BODY_FILE] = Py_NewRef(Py_None);
    for (int i = R_QUERY; i < R_SLOTS; i++) v[i] = Py_NewRef(Py_None);
    /* As __init__: mappings not sent read as empty ones of the request's own, a body not
     * sent as empty bytes, and a str body is the path of the file holding a spooled
     * multipart body. */
    if (v[R_PARAMS] == Py_None) Py_SETREF(v[R_PARAMS], PyDict_New());
    if (v[R_HEADERS] == Py_None) Py_SETREF(v[R_HEADERS], PyDict_New());
    if (PyUnicode_CheckExact(v[R_BODY])) {
        Py_SETREF(v[R_BODY_FILE], v[R_BODY]);
        v[R_BODY] = PyBytes_FromStringAndSize(NULL, 0);
    } else if (v[R_BODY] == Py_None) {
        Py_SETREF(v[R_BODY], PyBytes_FromStringAndSize(NULL, 0));
    }
    PyObject *req = NULL;
    int ok = v[R_PARAMS] && v[R_HEADERS] && v[R_BODY];
    if (ok) req = request_type->tp_alloc(request_type, 0);
    if (!req) {
        for (int i = 0; i < R_SLOTS; i++) Py_XDECREF(v[i]);
        return NULL;
    }
    for (int i = 0; i < R_SLOTS; i++) *(PyObject **)((char *)req + slot_offset[i]) = v[i]; /* steals */
    return req;
}
