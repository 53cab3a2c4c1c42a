/* The lane (lane.go): a server thread runs a request itself while the loop thread waits
 * in its selector, and the request's first step is taken here, in C.
 *
 * The loop thread holds lane_mu whenever it runs Python, and lets go of it only while its
 * selector waits for events (lane_poll). A server thread that takes it then owns the
 * event loop's state: it takes the GIL and runs one request with lane_step, so a handler
 * that finishes at once needs no thread hand-off. Neither side ever waits for lane_mu
 * while holding the GIL, so the two locks cannot deadlock.
 *
 * lane_step does what Dispatcher.drain does for one item, without the item: it builds
 * the Request from the server's strings (request.c), calls the route's runner, and
 * starts the coroutine eagerly as eager.start does (its first step inside a Task, in a
 * copy of the dispatcher's context), driving it with PyIter_Send. A handler that
 * returns a result tuple is answered from here; every other outcome (a stream, an
 * exception, a suspension, a cancelled task) is handed to the Python code that handles
 * it for the loop thread, so there is one definition of each. */
#include "bridge.h"
#include <pthread.h>
#include <string.h>

static pthread_mutex_t lane_mu = PTHREAD_MUTEX_INITIALIZER;
static int lane_held;              /* the loop thread holds lane_mu (loop thread only) */
static int lane_open;              /* requests may run in the lane */
static unsigned lane_gen;          /* counts lane_begin calls: each serve has its own loop */
static PyInterpreterState *lane_interp;
static __thread PyThreadState *lane_ts; /* one per server thread, made once, never freed */
static __thread unsigned lane_thread_gen;

/* What lane_begin was given (Dispatcher.lane_spec, eager.lane_spec). */
static struct {
    PyObject *thread_init; /* prepares a server thread for the lane (its running loop) */
    PyObject *request;     /* the Request class */
    PyObject *runners;     /* tuple of runners, by handler id */
    PyObject *loop;
    PyObject *ready;       /* loop._ready: the deque of callbacks, made once per loop */
    PyObject *context;     /* the context each request's context is copied from */
    PyObject *result;      /* Dispatcher._result(rid, task) -> result tuple */
    PyObject *suspended;   /* Dispatcher._suspended(rid, task): its result comes later */
    PyObject *wake;        /* loop._write_to_self */
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *task_type;   /* asyncio.Task, built with eager_start=True */
    PyObject *task_kwnames;
#else
    PyObject *task_type;   /* eager._EagerTask, filled in here as eager.start does */
    PyObject *counter;     /* asyncio's task name counter */
    PyObject *enter_task, *leave_task;
    PyObject *returned, *raised, *suspend; /* eager.returned, raised, suspended */
    PyObject *finished;    /* the FINISHED state */
#endif
} lane;

static PyObject *str_scheduled, *str_loop, *str_callbacks, *str_name, *str_coro, *str_context, *str_must_cancel,
    *str_result, *str_state, *str_done, *str_result_method;

static void lane_clear(void) {
    PyObject **all[] = {&lane.thread_init, &lane.request, &lane.runners, &lane.loop, &lane.ready, &lane.context,
                        &lane.result, &lane.suspended, &lane.wake, &lane.task_type,
#if PY_VERSION_HEX >= 0x030C0000
                        &lane.task_kwnames,
#else
                        &lane.counter, &lane.enter_task, &lane.leave_task, &lane.returned, &lane.raised,
                        &lane.suspend, &lane.finished,
#endif
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) Py_CLEAR(*all[i]);
    bolt_request_layout_clear();
}

static int intern_names(void) {
    if (str_scheduled) return 0;
    struct {
        PyObject **p;
        const char *s;
    } names[] = {{&str_scheduled, "_scheduled"}, {&str_loop, "_loop"},       {&str_callbacks, "_callbacks"},
                 {&str_name, "_name"},           {&str_coro, "_coro"},       {&str_context, "_context"},
                 {&str_must_cancel, "_must_cancel"}, {&str_result, "_result"}, {&str_state, "_state"},
                 {&str_done, "done"}, {&str_result_method, "result"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        *names[i].p = PyUnicode_InternFromString(names[i].s);
        if (!*names[i].p) return -1;
    }
    return 0;
}

static void lane_lock(void) {
    if (pthread_mutex_trylock(&lane_mu) != 0) {
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&lane_mu);
        Py_END_ALLOW_THREADS
    }
}

PyObject *bolt_core_lane_begin(PyObject *self, PyObject *args) {
    (void)self;
    if (lane_held) {
        PyErr_SetString(PyExc_RuntimeError, "the lane is already open");
        return NULL;
    }
    PyObject *runners, *eager;
    if (!PyArg_ParseTuple(args, "OOOOOOOO!:lane_begin", &lane.thread_init, &lane.request, &runners, &lane.loop,
                          &lane.context, &lane.result, &lane.suspended, &PyTuple_Type, &eager)) {
        memset(&lane, 0, sizeof lane);
        return NULL;
    }
    PyObject *borrowed[] = {lane.thread_init, lane.request, lane.loop, lane.context, lane.result, lane.suspended};
    for (size_t i = 0; i < sizeof borrowed / sizeof borrowed[0]; i++) Py_INCREF(borrowed[i]);
    lane.runners = PySequence_Tuple(runners);
    lane.ready = PyObject_GetAttrString(lane.loop, "_ready");
    lane.wake = PyObject_GetAttrString(lane.loop, "_write_to_self");
    int ok = lane.runners && lane.ready && lane.wake && intern_names() == 0 &&
             bolt_request_layout(lane.request) == 0;
#if PY_VERSION_HEX >= 0x030C0000
    ok = ok && PyArg_ParseTuple(eager, "O:eager.lane_spec", &lane.task_type);
    if (ok) {
        Py_INCREF(lane.task_type);
        lane.task_kwnames = Py_BuildValue("(sss)", "loop", "context", "eager_start");
        ok = lane.task_kwnames != NULL;
    }
#else
    ok = ok && PyArg_ParseTuple(eager, "OOOOOOOO:eager.lane_spec", &lane.task_type, &lane.counter, &lane.enter_task,
                                &lane.leave_task, &lane.returned, &lane.raised, &lane.suspend, &lane.finished);
    if (ok) {
        PyObject *more[] = {lane.task_type, lane.counter, lane.enter_task, lane.leave_task,
                            lane.returned,  lane.raised,  lane.suspend,    lane.finished};
        for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) Py_INCREF(more[i]);
        if (!PyType_Check(lane.task_type)) {
            PyErr_SetString(PyExc_TypeError, "eager.lane_spec: the task type is not a class");
            ok = 0;
        }
    }
#endif
    if (!ok) {
        lane_clear();
        return NULL;
    }
    lane_lock();
    lane_held = 1;
    lane_open = 1;
    lane_gen++;
    lane_interp = PyThreadState_GetInterpreter(PyThreadState_Get());
    Py_RETURN_NONE;
}

PyObject *bolt_core_lane_end(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (lane_held) {
        lane_open = 0;
        lane_clear();
        lane_held = 0;
        pthread_mutex_unlock(&lane_mu);
    }
    Py_RETURN_NONE;
}

PyObject *bolt_core_lane_poll(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "lane_poll(poll, *args) needs the poll function");
        return NULL;
    }
    int held = lane_held;
    if (held) pthread_mutex_unlock(&lane_mu);
    PyObject *res = PyObject_Vectorcall(args[0], args + 1, (size_t)(nargs - 1), NULL);
    if (held) lane_lock();
    return res;
}

int bolt_lane_enter(void) {
    if (pthread_mutex_trylock(&lane_mu) != 0) return 0;
    if (!lane_open) {
        pthread_mutex_unlock(&lane_mu);
        return 0;
    }
    if (!lane_ts) {
        lane_ts = PyThreadState_New(lane_interp);
        if (!lane_ts) {
            pthread_mutex_unlock(&lane_mu);
            return 0;
        }
    }
    PyEval_RestoreThread(lane_ts);
    return 1;
}

void bolt_lane_leave(PyObject *res) {
    Py_XDECREF(res);
    PyEval_SaveThread();
    pthread_mutex_unlock(&lane_mu);
}

static PyObject *call2(PyObject *fn, PyObject *a, PyObject *b) {
    PyObject *args[] = {a, b};
    return PyObject_Vectorcall(fn, args, 2, NULL);
}

/* How the first step ended. */
enum { STEP_VALUE, STEP_DONE, STEP_SUSPENDED };

#if PY_VERSION_HEX >= 0x030C0000

/* asyncio.Task(coro, loop=loop, context=ctx, eager_start=True), in C since 3.12. */
static PyObject *eager_step(PyObject *coro, PyObject *ctx, int *outcome, PyObject **value) {
    PyObject *args[] = {coro, lane.loop, ctx, Py_True};
    PyObject *task = PyObject_Vectorcall(lane.task_type, args, 1, lane.task_kwnames);
    if (!task) return NULL;
    PyObject *done = PyObject_CallMethodNoArgs(task, str_done);
    if (!done) {
        Py_DECREF(task);
        return NULL;
    }
    *outcome = done == Py_True ? STEP_DONE : STEP_SUSPENDED;
    Py_DECREF(done);
    if (*outcome == STEP_DONE) {
        *value = PyObject_CallMethodNoArgs(task, str_result_method);
        if (*value) {
            *outcome = STEP_VALUE;
        } else {
            PyErr_Clear(); /* Dispatcher._result reports it */
        }
    }
    return task;
}

#else

/* eager.start, for a thread where no task is current (the lane's). */
static PyObject *eager_step(PyObject *coro, PyObject *ctx, int *outcome, PyObject **value) {
    PyTypeObject *type = (PyTypeObject *)lane.task_type;
    PyObject *task = type->tp_alloc(type, 0);
    if (!task) return NULL;
    PyObject *callbacks = PyList_New(0);
    PyObject *name = callbacks ? PyObject_CallNoArgs(lane.counter) : NULL; /* get_name formats it */
    int ok = name && PyObject_SetAttr(task, str_loop, lane.loop) == 0 &&
             PyObject_SetAttr(task, str_callbacks, callbacks) == 0 && PyObject_SetAttr(task, str_name, name) == 0 &&
             PyObject_SetAttr(task, str_coro, coro) == 0 && PyObject_SetAttr(task, str_context, ctx) == 0;
    Py_XDECREF(name);
    PyObject *entered = ok ? call2(lane.enter_task, lane.loop, task) : NULL;
    if (!entered) {
        Py_XDECREF(callbacks);
        Py_DECREF(task);
        return NULL;
    }
    Py_DECREF(entered);
    /* The first step, as Task.__step takes it, inside the request's own context. */
    PyObject *out = NULL, *exc = NULL;
    PySendResult sent = PYGEN_ERROR;
    if (PyContext_Enter(ctx) == 0) {
        sent = PyIter_Send(coro, Py_None, &out);
        PyObject *type_, *tb;
        if (sent == PYGEN_ERROR) {
            PyErr_Fetch(&type_, &exc, &tb);
            PyErr_NormalizeException(&type_, &exc, &tb);
            if (exc && tb) PyException_SetTraceback(exc, tb);
            Py_XDECREF(type_);
            Py_XDECREF(tb);
        }
        if (PyContext_Exit(ctx) < 0) PyErr_WriteUnraisable(ctx);
    } else {
        PyObject *type_, *tb;
        PyErr_Fetch(&type_, &exc, &tb);
        PyErr_NormalizeException(&type_, &exc, &tb);
        Py_XDECREF(type_);
        Py_XDECREF(tb);
    }
    PyObject *left = call2(lane.leave_task, lane.loop, task);
    if (!left) PyErr_WriteUnraisable(task);
    Py_XDECREF(left);
    PyObject *handed = Py_None;
    Py_INCREF(handed);
    switch (sent) {
    case PYGEN_RETURN: {
        PyObject *must_cancel = PyObject_GetAttr(task, str_must_cancel);
        int plain = must_cancel == Py_False && PyList_GET_SIZE(callbacks) == 0;
        Py_XDECREF(must_cancel);
        if (plain && PyObject_SetAttr(task, str_result, out) == 0 &&
            PyObject_SetAttr(task, str_state, lane.finished) == 0) {
            /* What set_result does when no callback subscribed: most handlers. */
            *outcome = STEP_VALUE;
            *value = out;
            out = NULL;
        } else {
            PyErr_Clear();
            Py_SETREF(handed, call2(lane.returned, task, out));
            *outcome = STEP_DONE;
        }
        break;
    }
    case PYGEN_NEXT:
        Py_SETREF(handed, call2(lane.suspend, task, out));
        *outcome = STEP_SUSPENDED;
        break;
    default:
        if (!exc) { /* cannot happen: an error without an exception */
            PyErr_SetString(PyExc_SystemError, "the handler's first step failed without an exception");
            Py_CLEAR(handed);
            break;
        }
        Py_SETREF(handed, call2(lane.raised, task, exc)); /* re-raises KeyboardInterrupt, SystemExit */
        *outcome = STEP_DONE;
    }
    Py_XDECREF(out);
    Py_XDECREF(exc);
    Py_DECREF(callbacks);
    if (!handed) {
        Py_DECREF(task);
        return NULL;
    }
    Py_DECREF(handed);
    return task;
}

#endif

/* Runs one request; see bridge.h. */
int bolt_lane_run(long rid, long handler, const char *strs, const int *lens, int nparams, int nheaders,
                  const char *query, Py_ssize_t qlen, const char *body, Py_ssize_t blen, int body_file,
                  PyObject *context, PyObject **res, bolt_result *view) {
    *res = NULL;
    if (lane_thread_gen != lane_gen) {
        PyObject *done = PyObject_CallNoArgs(lane.thread_init);
        if (!done) return -1;
        Py_DECREF(done);
        lane_thread_gen = lane_gen;
    }
    if (handler < 0 || handler >= PyTuple_GET_SIZE(lane.runners)) {
        PyErr_Format(PyExc_IndexError, "no runner for handler %ld", handler);
        return -1;
    }
    PyObject *request = bolt_request_new(strs, lens, nparams, nheaders, query, qlen, body, blen, body_file, context);
    if (!request) return -1;
    PyObject *coro = PyObject_CallOneArg(PyTuple_GET_ITEM(lane.runners, handler), request);
    Py_DECREF(request);
    if (!coro) return -1;

    /* Work the step leaves for the loop (a suspended task, a callback, a timer) must end
     * the selector's wait now, not at the deadline it computed before. */
    Py_ssize_t ready = PyObject_Size(lane.ready);
    PyObject *scheduled = PyObject_GetAttr(lane.loop, str_scheduled);
    Py_ssize_t timers = scheduled ? PyObject_Size(scheduled) : -1;
    Py_XDECREF(scheduled);
    PyObject *ctx = timers >= 0 && ready >= 0 ? PyContext_Copy(lane.context) : NULL;
    if (!ctx) {
        Py_DECREF(coro);
        return -1;
    }
    int outcome = STEP_DONE;
    PyObject *value = NULL;
    PyObject *task = eager_step(coro, ctx, &outcome, &value);
    Py_DECREF(coro);
    Py_DECREF(ctx);
    if (!task) return -1;

    PyObject *id = PyLong_FromLong(rid);
    PyObject *out = NULL;
    if (!id) {
        /* out stays NULL */
    } else if (outcome == STEP_VALUE && PyTuple_CheckExact(value) && PyTuple_GET_SIZE(value) == 3) {
        /* (status, headers, body): the result is (rid, status, headers, body). */
        out = PyTuple_New(BOLT_RESULT_LEN);
        if (out) {
            PyTuple_SET_ITEM(out, 0, id);
            Py_INCREF(id);
            for (int i = 0; i < 3; i++) {
                PyObject *v = PyTuple_GET_ITEM(value, i);
                Py_INCREF(v);
                PyTuple_SET_ITEM(out, i + 1, v);
            }
        }
    } else if (outcome == STEP_SUSPENDED) {
        out = call2(lane.suspended, id, task); /* None */
    } else {
        out = call2(lane.result, id, task);
    }
    Py_XDECREF(id);
    Py_XDECREF(value);
    Py_DECREF(task);
    if (!out) return -1;

    scheduled = PyObject_GetAttr(lane.loop, str_scheduled);
    int left_work = out == Py_None || !scheduled || PyObject_Size(scheduled) != timers ||
                    PyObject_Size(lane.ready) != ready;
    Py_XDECREF(scheduled);
    PyErr_Clear(); /* a failed size only means: wake the loop */
    if (left_work) {
        PyObject *woke = PyObject_CallNoArgs(lane.wake);
        if (!woke) PyErr_WriteUnraisable(lane.wake);
        Py_XDECREF(woke);
    }
    if (out == Py_None) {
        *res = out;
        return 0;
    }
    if (bolt_result_view(out, view) < 0) {
        Py_DECREF(out);
        return -1;
    }
    *res = out;
    return 1;
}
