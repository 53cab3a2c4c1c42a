/* The django_bolt._core stream functions: the C side of pyhost/stream.go. Declarations only. */
#ifndef BOLT_STREAM_H
#define BOLT_STREAM_H

#include "bridge.h"

/* stream_open(is_async: bool) -> int */
PyObject *bolt_core_stream_open(PyObject *self, PyObject *is_async);
/* stream_put(id: int, chunk: bytes) -> int (0 more, 1 full, 2 gone) */
PyObject *bolt_core_stream_put(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
/* stream_end(id: int, error: str | None) -> None */
PyObject *bolt_core_stream_end(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
