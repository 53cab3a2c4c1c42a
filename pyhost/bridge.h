/* Declarations shared by the cgo files of package pyhost and bridge.c.
 * Only declarations live here: files with //export include it twice. */
#ifndef BOLT_BRIDGE_H
#define BOLT_BRIDGE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The module object of django_bolt._core (multi-phase init, so it works both as a
 * built-in of the server binary and as an extension module). */
PyObject *PyInit__core(void);

/* Adds the in-process test client's functions to django_bolt._core. Only the extension
 * module links one (cmd/core/testapp.c): a weak reference, NULL in the server binary. */
int bolt_test_client_exec(PyObject *module) __attribute__((weak));

/* "3.11" etc.: the Python version this binary was compiled against. */
const char *bolt_compiled_version(void);

/* Interpreter start-up; returns NULL on success or a malloc'ed error message. */
char *bolt_initialize(const char *executable, const char *program_name);

/* Reference counting and type checks are macros or inline functions. */
void bolt_incref(PyObject *o);
void bolt_decref(PyObject *o);
PyObject *bolt_none(void);
int bolt_is_none(PyObject *o);

/* Calls module.func(*args); args may be NULL. New reference or NULL with an error set. */
PyObject *bolt_call(const char *module, const char *func, PyObject *args);
/* Formats and clears the current exception; new str or NULL. */
PyObject *bolt_fetch_error(void);

/* The protocol's tuple layout (protocol/protocol.go, _runtime/protocol.py); pyhost's
 * protocol.go checks these against the Go constants when it compiles. */
#define BOLT_REQUEST_ITEM_LEN 9
#define BOLT_CONTROL_ITEM_LEN 3
#define BOLT_RESULT_LEN 4
#define BOLT_SENDFILE_LEN 1

/* A request handed to Python: (rid, handler, method, path, params, query, headers, body, context).
 * strs holds method, path, then name/value pairs of params then headers; lens their lengths.
 * nparams/nheaders < 0 mean "not needed" (None); qlen/blen < 0 likewise. body_file != 0:
 * body is the path of the file holding the spooled body, handed over as a str. */
PyObject *bolt_request_item(long rid, long handler, const char *strs, const int *lens,
                            int nparams, int nheaders, const char *query, Py_ssize_t qlen,
                            const char *body, Py_ssize_t blen, int body_file, PyObject *context);
/* The item's last seven fields, Request's arguments (new references): 0, or -1 with an error set. */
#define BOLT_REQUEST_FIELDS 7
int bolt_request_fields(PyObject *out[BOLT_REQUEST_FIELDS], const char *strs, const int *lens, int nparams,
                        int nheaders, const char *query, Py_ssize_t qlen, const char *body, Py_ssize_t blen,
                        int body_file, PyObject *context);
/* The lane's Request (request.c): bolt_request_layout reads the class's slots (0, or -1
 * with an error set when the class is not one request.c can fill); bolt_request_new
 * builds one from what bolt_request_fields takes, as Request.__init__ would. */
int bolt_request_layout(PyObject *cls);
void bolt_request_layout_clear(void);
PyObject *bolt_request_new(const char *strs, const int *lens, int nparams, int nheaders, const char *query,
                           Py_ssize_t qlen, const char *body, Py_ssize_t blen, int body_file, PyObject *context);
/* A control item for the loop: (rid, kind, arg). */
PyObject *bolt_control_item(long rid, long kind, long arg);

/* How many headers a result view holds: enough for most answers, so Go copies them with
 * no call per header; the others are read with bolt_result_header. */
#define BOLT_VIEW_HEADERS 8

/* A view of one result tuple (rid, status, headers, body) without copying. */
typedef struct bolt_result {
    long rid;
    long status;
    int nheaders;           /* -1 when headers is None */
    const char *body;       /* NULL when body is not bytes */
    Py_ssize_t body_len;
    long stream;            /* body was an int: a stream id; -1 otherwise */
    const char *file;       /* body was a SendFile: the path (UTF-8); NULL otherwise */
    Py_ssize_t file_len;
    /* The first BOLT_VIEW_HEADERS headers as UTF-8 views. */
    const char *name[BOLT_VIEW_HEADERS], *value[BOLT_VIEW_HEADERS];
    Py_ssize_t name_len[BOLT_VIEW_HEADERS], value_len[BOLT_VIEW_HEADERS];
} bolt_result;

/* Fills out from item (a header that is not a pair of str is an error); returns 0, or -1
 * with a Python error set. */
int bolt_result_view(PyObject *item, bolt_result *out);
/* The request id of a result item that failed bolt_result_view, or -1. */
long bolt_result_rid(PyObject *item);
/* Header i of the result item: name/value UTF-8 views; returns 0 or -1 with an error set. */
int bolt_result_header(PyObject *item, int i, const char **name, Py_ssize_t *nlen,
                       const char **value, Py_ssize_t *vlen);

/* The lane (lane.c): a server thread runs a request itself while the loop waits.
 * bolt_lane_enter returns 1 with the GIL held and the loop's state owned, or 0 when the
 * loop is busy or not serving; bolt_lane_leave(res) drops res (may be NULL) and gives
 * both back. bolt_lane_run builds the Request (from what bolt_request_item takes), calls
 * the route's runner and takes the coroutine's first step: 1 with *res the result tuple
 * and *view filled, 0 when the handler suspended (*res is None; its result comes through
 * exchange), or -1 with an error set. */
int bolt_lane_enter(void);
void bolt_lane_leave(PyObject *res);
int bolt_lane_run(long rid, long handler, const char *strs, const int *lens, int nparams, int nheaders,
                  const char *query, Py_ssize_t qlen, const char *body, Py_ssize_t blen, int body_file,
                  PyObject *context, PyObject **res, bolt_result *view);
/* django_bolt._core.lane_begin, lane_end and lane_poll. */
PyObject *bolt_core_lane_begin(PyObject *self, PyObject *args);
PyObject *bolt_core_lane_end(PyObject *self, PyObject *unused);
PyObject *bolt_core_lane_poll(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* The plain type of an object, for conversion to Go. */
enum { BOLT_OTHER, BOLT_NONE, BOLT_BOOL, BOLT_INT, BOLT_FLOAT, BOLT_BYTES, BOLT_STR, BOLT_SEQ, BOLT_DICT };
int bolt_kind(PyObject *o);
PyObject *bolt_type_name(PyObject *o); /* new str reference, never NULL */

/* Calls fn(arg); new reference or NULL. */
PyObject *bolt_call_one(PyObject *fn, PyObject *arg);
/* A (status, headers, body, stream) tuple for the test client (cmd/core), stream None
   when negative (the body is whole); steals headers. */
PyObject *bolt_response_tuple(long status, PyObject *headers, const char *body, Py_ssize_t body_len, long stream);
/* Header pair i of a list of (str, str) tuples, as UTF-8 views. */
int bolt_header_pair(PyObject *list, Py_ssize_t i, const char **name, Py_ssize_t *nlen, const char **value,
                     Py_ssize_t *vlen);

/* Conversions used to build auth contexts. */
PyObject *bolt_str(const char *s, Py_ssize_t n);
PyObject *bolt_bytes(const char *s, Py_ssize_t n);
int bolt_dict_set(PyObject *d, const char *key, Py_ssize_t klen, PyObject *value); /* steals value */
int bolt_list_append(PyObject *l, PyObject *value);                                  /* steals value */

#endif
