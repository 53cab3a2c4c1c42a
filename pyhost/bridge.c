/* C side of the bridge: the django_bolt._core module table, interpreter start-up and
 * the helpers cgo cannot express (macros, variadic calls, multi-step conversions). */
#include "bridge.h"
#include "stream.h"
#include "websocket.h"
#include "_cgo_export.h"
#include <stdlib.h>
#include <string.h>

/* ---- module django_bolt._core ---------------------------------------------------- */

static PyObject *core_exchange(PyObject *self, PyObject *results) {
    (void)self;
    return goExchange(results);
}

static PyMethodDef core_methods[] = {
    {"exchange", core_exchange, METH_O,
     "exchange(results) -> list | None\n\n"
     "Hands finished results to the server and takes the requests waiting for Python.\n"
     "Returns None when nothing is waiting (the loop then sleeps until the next wake-up)."},
    {"lane_begin", bolt_core_lane_begin, METH_VARARGS,
     "lane_begin(thread_init, Request, runners, loop, context, result, suspended, eager_spec) -> None\n\n"
     "Called on the loop thread before it serves: from now on, while the loop waits in\n"
     "lane_poll, a server thread may run a request itself (pyhost/lane.c), each thread\n"
     "after one call of thread_init()."},
    {"lane_end", bolt_core_lane_end, METH_NOARGS, "lane_end() -> None\n\nCloses the lane (the loop stopped)."},
    {"lane_poll", (PyCFunction)(void (*)(void))bolt_core_lane_poll, METH_FASTCALL,
     "lane_poll(poll, *args) -> poll(*args)\n\n"
     "The selector's wait: the lane is open to server threads while poll blocks."},
    {"stream_open", bolt_core_stream_open, METH_O,
     "stream_open(is_async) -> int\n\n"
     "Opens the buffer a StreamingResponse's producer fills; returns the stream id."},
    {"stream_put", (PyCFunction)(void (*)(void))bolt_core_stream_put, METH_FASTCALL,
     "stream_put(id, chunk: bytes) -> int\n\n"
     "Buffers one chunk; 0: go on, 1: the buffer is full (stop until resumed), 2: nobody reads (close)."},
    {"stream_end", (PyCFunction)(void (*)(void))bolt_core_stream_end, METH_FASTCALL,
     "stream_end(id, error: str | None) -> None\n\n"
     "The producer is finished: exhausted or closed (None), or failed (the message)."},
    {"ws_send", bolt_core_ws_send, METH_O,
     "ws_send(commands) -> None\n\n"
     "Hands WebSocket commands (accept, send, close) of one batch to the server."},
    {NULL, NULL, 0, NULL},
};

/* The extension module (cmd/core) adds the test client's functions; the server binary
 * has none, and bolt_test_client_exec is then NULL. */
static int core_exec(PyObject *module) { return bolt_test_client_exec ? bolt_test_client_exec(module) : 0; }

static PyModuleDef_Slot core_slots[] = {{Py_mod_exec, core_exec}, {0, NULL}};

static struct PyModuleDef core_def = {
    PyModuleDef_HEAD_INIT,
    "django_bolt._core",
    "The Go core of django_bolt: the bridge between the HTTP server and the event loop.",
    0,
    core_methods,
    core_slots,
    NULL,
    NULL,
    NULL,
};

PyObject *PyInit__core(void) { return PyModuleDef_Init(&core_def); }

#define BOLT_STR2(x) #x
#define BOLT_STR(x) BOLT_STR2(x)
const char *bolt_compiled_version(void) { return BOLT_STR(PY_MAJOR_VERSION) "." BOLT_STR(PY_MINOR_VERSION); }

/* ---- start-up ------------------------------------------------------------------------ */

static char *status_message(PyStatus st) {
    const char *msg = st.err_msg ? st.err_msg : "unknown error";
    const char *fn = st.func ? st.func : "Python";
    size_t n = strlen(msg) + strlen(fn) + 3;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s: %s", fn, msg);
    return out;
}

/* Puts the built-in django_bolt._core into sys.modules. The built-in importer of early
 * 3.11 releases (Debian 12's 3.11.2) looks only for top-level modules, so importing the
 * submodule would load the extension file installed beside the package instead: a second
 * Go runtime with no server in it. */
static char *bind_builtin_core(void) {
    PyObject *machinery = PyImport_ImportModule("importlib.machinery");
    PyObject *util = PyImport_ImportModule("importlib.util");
    PyObject *importer = machinery ? PyObject_GetAttrString(machinery, "BuiltinImporter") : NULL;
    /* Asked without a package path, every release finds it. */
    PyObject *spec = importer ? PyObject_CallMethod(importer, "find_spec", "s", "django_bolt._core") : NULL;
    if (spec == Py_None) {
        Py_CLEAR(spec);
        PyErr_SetString(PyExc_ImportError, "django_bolt._core is not registered as a built-in module");
    }
    PyObject *mod = spec && util ? PyObject_CallMethod(util, "module_from_spec", "O", spec) : NULL;
    PyObject *done = mod ? PyObject_CallMethod(importer, "exec_module", "O", mod) : NULL;
    int ok = done && PyDict_SetItemString(PyImport_GetModuleDict(), "django_bolt._core", mod) == 0;
    if (!ok) PyErr_Print();
    Py_XDECREF(done);
    Py_XDECREF(mod);
    Py_XDECREF(spec);
    Py_XDECREF(importer);
    Py_XDECREF(util);
    Py_XDECREF(machinery);
    return ok ? NULL : strdup("cannot load the built-in module django_bolt._core");
}

char *bolt_initialize(const char *executable, const char *program_name) {
    if (PyImport_AppendInittab("django_bolt._core", PyInit__core) != 0) {
        return strdup("cannot register the built-in module django_bolt._core");
    }
    PyConfig c;
    PyStatus st;
    PyConfig_InitPythonConfig(&c);
    /* Go owns the process signals; Python must not install its own SIGINT handler. */
    c.install_signal_handlers = 0;
    c.parse_argv = 0;
    /* getpath derives sys.prefix (and a virtualenv's site-packages) from executable. */
    st = PyConfig_SetBytesString(&c, &c.executable, executable);
    if (PyStatus_Exception(st)) goto fail;
    st = PyConfig_SetBytesString(&c, &c.program_name, program_name);
    if (PyStatus_Exception(st)) goto fail;
    char *argv[1] = {(char *)program_name};
    st = PyConfig_SetBytesArgv(&c, 1, argv);
    if (PyStatus_Exception(st)) goto fail;
    st = Py_InitializeFromConfig(&c);
    if (PyStatus_Exception(st)) goto fail;
    PyConfig_Clear(&c);
    return bind_builtin_core();
fail:
    PyConfig_Clear(&c);
    return status_message(st);
}

/* ---- small wrappers ------------------------------------------------------------------ */

void bolt_incref(PyObject *o) { Py_INCREF(o); }
void bolt_decref(PyObject *o) { Py_DECREF(o); }
PyObject *bolt_none(void) { Py_RETURN_NONE; }
int bolt_is_none(PyObject *o) { return o == Py_None; }

PyObject *bolt_call(const char *module, const char *func, PyObject *args) {
    PyObject *mod = PyImport_ImportModule(module);
    if (!mod) return NULL;
    PyObject *fn = PyObject_GetAttrString(mod, func);
    Py_DECREF(mod);
    if (!fn) return NULL;
    PyObject *res = args ? PyObject_Call(fn, args, NULL) : PyObject_CallNoArgs(fn);
    Py_DECREF(fn);
    return res;
}

PyObject *bolt_fetch_error(void) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (!type) return PyUnicode_FromString("unknown error (no exception set)");
    PyErr_NormalizeException(&type, &value, &tb);
    PyObject *text = NULL;
    PyObject *mod = PyImport_ImportModule("traceback");
    if (mod) {
        PyObject *lines = PyObject_CallMethod(mod, "format_exception", "OOO", type,
                                              value ? value : Py_None, tb ? tb : Py_None);
        if (lines) {
            PyObject *empty = PyUnicode_FromString("");
            if (empty) {
                text = PyUnicode_Join(empty, lines);
                Py_DECREF(empty);
            }
            Py_DECREF(lines);
        }
        Py_DECREF(mod);
    }
    if (!text) {
        PyErr_Clear();
        text = PyObject_Str(value ? value : type);
        if (!text) {
            PyErr_Clear();
            text = PyUnicode_FromString("unprintable Python exception");
        }
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return text;
}

/* ---- requests and results --------------------------------------------------------- */

static PyObject *pairs_dict(const char **cursor, const int **lens, int n) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *k = PyUnicode_DecodeUTF8(*cursor, (*lens)[0], "replace");
        *cursor += (*lens)[0];
        PyObject *v = PyUnicode_DecodeUTF8(*cursor, (*lens)[1], "replace");
        *cursor += (*lens)[1];
        *lens += 2;
        if (!k || !v || PyDict_SetItem(d, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    return d;
}

int bolt_request_fields(PyObject *out[BOLT_REQUEST_FIELDS], const char *strs, const int *lens, int nparams,
                        int nheaders, const char *query, Py_ssize_t qlen, const char *body, Py_ssize_t blen,
                        int body_file, PyObject *context) {
    for (int i = 0; i < BOLT_REQUEST_FIELDS; i++) out[i] = NULL;
    const char *cur = strs;
    out[0] = PyUnicode_DecodeLatin1(cur, lens[0], NULL);
    cur += lens[0];
    out[1] = PyUnicode_DecodeUTF8(cur, lens[1], "replace");
    cur += lens[1];
    lens += 2;
    if (!out[0] || !out[1]) goto fail;
    if (nparams >= 0) {
        out[2] = pairs_dict(&cur, &lens, nparams);
        if (!out[2]) goto fail;
    } else {
        out[2] = Py_NewRef(Py_None);
    }
    out[3] = qlen >= 0 ? PyBytes_FromStringAndSize(query, qlen) : Py_NewRef(Py_None);
    if (!out[3]) goto fail;
    if (nheaders >= 0) {
        out[4] = pairs_dict(&cur, &lens, nheaders);
        if (!out[4]) goto fail;
    } else {
        out[4] = Py_NewRef(Py_None);
    }
    out[5] = blen < 0     ? Py_NewRef(Py_None)
             : body_file ? PyUnicode_DecodeFSDefaultAndSize(body, blen)
                         : PyBytes_FromStringAndSize(body, blen);
    if (!out[5]) goto fail;
    out[6] = Py_NewRef(context ? context : Py_None);
    return 0;
fail:
    for (int i = 0; i < BOLT_REQUEST_FIELDS; i++) Py_CLEAR(out[i]);
    return -1;
}

PyObject *bolt_request_item(long rid, long handler, const char *strs, const int *lens,
                            int nparams, int nheaders, const char *query, Py_ssize_t qlen,
                            const char *body, Py_ssize_t blen, int body_file, PyObject *context) {
    PyObject *fields[BOLT_REQUEST_FIELDS];
    if (bolt_request_fields(fields, strs, lens, nparams, nheaders, query, qlen, body, blen, body_file, context) < 0)
        return NULL;
    PyObject *t = PyTuple_New(BOLT_REQUEST_ITEM_LEN);
    PyObject *ids[2] = {PyLong_FromLong(rid), PyLong_FromLong(handler)};
    if (!t || !ids[0] || !ids[1]) {
        Py_XDECREF(t);
        Py_XDECREF(ids[0]);
        Py_XDECREF(ids[1]);
        for (int i = 0; i < BOLT_REQUEST_FIELDS; i++) Py_DECREF(fields[i]);
        return NULL;
    }
    PyTuple_SET_ITEM(t, 0, ids[0]);
    PyTuple_SET_ITEM(t, 1, ids[1]);
    for (int i = 0; i < BOLT_REQUEST_FIELDS; i++) PyTuple_SET_ITEM(t, 2 + i, fields[i]);
    return t;
}

PyObject *bolt_control_item(long rid, long kind, long arg) {
    return Py_BuildValue("(lll)", rid, kind, arg);
}

int bolt_result_view(PyObject *item, bolt_result *out) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != BOLT_RESULT_LEN) {
        PyErr_SetString(PyExc_TypeError, "a result must be a 4-tuple (rid, status, headers, body)");
        return -1;
    }
    out->rid = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    out->status = PyLong_AsLong(PyTuple_GET_ITEM(item, 1));
    if (PyErr_Occurred()) return -1;
    PyObject *headers = PyTuple_GET_ITEM(item, 2);
    if (headers == Py_None) {
        out->nheaders = -1;
    } else if (PyList_Check(headers)) {
        out->nheaders = (int)PyList_GET_SIZE(headers);
    } else {
        PyErr_SetString(PyExc_TypeError, "result headers must be a list of (name, value) tuples");
        return -1;
    }
    PyObject *body = PyTuple_GET_ITEM(item, 3);
    out->body = NULL;
    out->body_len = 0;
    out->stream = -1;
    out->file = NULL;
    out->file_len = 0;
    if (PyBytes_Check(body)) {
        out->body = PyBytes_AS_STRING(body);
        out->body_len = PyBytes_GET_SIZE(body);
    } else if (PyLong_Check(body)) {
        out->stream = PyLong_AsLong(body);
    } else if (PyTuple_Check(body) && PyTuple_GET_SIZE(body) == BOLT_SENDFILE_LEN &&
               PyUnicode_Check(PyTuple_GET_ITEM(body, 0))) {
        /* SendFile(path): a NamedTuple, so a tuple of one str. */
        out->file = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(body, 0), &out->file_len);
        if (!out->file) return -1;
    } else if (body != Py_None) {
        PyErr_SetString(PyExc_TypeError, "result body must be bytes, a stream id, a SendFile or None");
        return -1;
    }
    for (int i = 0; i < out->nheaders && i < BOLT_VIEW_HEADERS; i++) {
        if (bolt_header_pair(headers, i, &out->name[i], &out->name_len[i], &out->value[i], &out->value_len[i]) < 0)
            return -1;
    }
    return 0;
}

long bolt_result_rid(PyObject *item) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < 1 || !PyLong_Check(PyTuple_GET_ITEM(item, 0))) return -1;
    long rid = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
    if (rid == -1 && PyErr_Occurred()) PyErr_Clear();
    return rid;
}

int bolt_header_pair(PyObject *list, Py_ssize_t i, const char **name, Py_ssize_t *nlen, const char **value,
                     Py_ssize_t *vlen) {
    PyObject *pair = PyList_GET_ITEM(list, i);
    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
        PyErr_SetString(PyExc_TypeError, "headers must be (name, value) tuples of str");
        return -1;
    }
    *name = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(pair, 0), nlen);
    if (!*name) return -1;
    *value = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(pair, 1), vlen);
    return *value ? 0 : -1;
}

int bolt_result_header(PyObject *item, int i, const char **name, Py_ssize_t *nlen,
                       const char **value, Py_ssize_t *vlen) {
    return bolt_header_pair(PyTuple_GET_ITEM(item, 2), i, name, nlen, value, vlen);
}

int bolt_kind(PyObject *o) {
    if (o == Py_None) return BOLT_NONE;
    if (PyBool_Check(o)) return BOLT_BOOL;
    if (PyLong_Check(o)) return BOLT_INT;
    if (PyFloat_Check(o)) return BOLT_FLOAT;
    if (PyBytes_Check(o)) return BOLT_BYTES;
    if (PyUnicode_Check(o)) return BOLT_STR;
    if (PyList_Check(o) || PyTuple_Check(o)) return BOLT_SEQ;
    if (PyDict_Check(o)) return BOLT_DICT;
    return BOLT_OTHER;
}

PyObject *bolt_type_name(PyObject *o) { return PyUnicode_FromString(Py_TYPE(o)->tp_name); }

PyObject *bolt_call_one(PyObject *fn, PyObject *arg) { return PyObject_CallOneArg(fn, arg); }

PyObject *bolt_response_tuple(long status, PyObject *headers, const char *body, Py_ssize_t body_len, long stream) {
    PyObject *b = PyBytes_FromStringAndSize(body, body_len);
    if (!b) {
        Py_DECREF(headers);
        return NULL;
    }
    if (stream < 0) return Py_BuildValue("(lNNO)", status, headers, b, Py_None);
    return Py_BuildValue("(lNNl)", status, headers, b, stream);
}

/* ---- conversions for auth contexts --------------------------------------------------- */

PyObject *bolt_str(const char *s, Py_ssize_t n) { return PyUnicode_DecodeUTF8(s, n, "replace"); }
PyObject *bolt_bytes(const char *s, Py_ssize_t n) { return PyBytes_FromStringAndSize(s, n); }

int bolt_dict_set(PyObject *d, const char *key, Py_ssize_t klen, PyObject *value) {
    if (!value) return -1;
    PyObject *k = PyUnicode_DecodeUTF8(key, klen, "replace");
    if (!k) {
        Py_DECREF(value);
        return -1;
    }
    int rc = PyDict_SetItem(d, k, value);
    Py_DECREF(k);
    Py_DECREF(value);
    return rc;
}

int bolt_list_append(PyObject *l, PyObject *value) {
    if (!value) return -1;
    int rc = PyList_Append(l, value);
    Py_DECREF(value);
    return rc;
}
