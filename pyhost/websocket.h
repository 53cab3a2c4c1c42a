/* WebSocket items and commands: the C side of pyhost/websocket.go. Declarations only. */
#ifndef BOLT_WEBSOCKET_H
#define BOLT_WEBSOCKET_H

#include "bridge.h"

/* (conn, kind, request) where request is a request item (see bolt_request_item); steals request. */
PyObject *bolt_ws_open_item(long conn, long kind, PyObject *request);
/* (conn, kind, str) for text (data is valid UTF-8) or (conn, kind, bytes). */
PyObject *bolt_ws_message_item(long conn, long kind, int text, const char *data, Py_ssize_t n);
/* (conn, kind, code, reason). */
PyObject *bolt_ws_closed_item(long conn, long kind, long code, const char *reason, Py_ssize_t n);

/* A view of one command tuple (conn, op, payload, extra) without copying.
 * payload: str (UTF-8 view), bytes, or None; extra: an int code or a list of header pairs. */
typedef struct {
    long conn;
    long op;
    const char *data; /* NULL when payload is None */
    Py_ssize_t len;
    long code;        /* extra as an int; 0 otherwise */
    PyObject *headers; /* extra as a list (borrowed); NULL otherwise */
} bolt_ws_command;

/* Fills out from item; returns 0, or -1 with a Python error set. */
int bolt_ws_command_view(PyObject *item, bolt_ws_command *out);

/* django_bolt._core.ws_send(commands). */
PyObject *bolt_core_ws_send(PyObject *self, PyObject *commands);

#endif
