package pyhost

/*
#include "websocket.h"
*/
import "C"

import (
	"log"
	"sync/atomic"
	"unsafe"
)

// WebSocket events reach Python as items of their own kinds, in the same batches as
// requests; what handlers send comes back in one django_bolt._core.ws_send call per
// batch. No thread and no thread state per connection, no GIL hand-off per frame.
//
// Item layouts (django_bolt._runtime.websockets reads them):
//
//	(conn, kindWSOpen, request item)    a handshake passed the checks: start the handler
//	(conn, kindWSMessage, str | bytes)  one complete message from the client
//	(conn, kindWSClosed, code, reason)  the connection is gone: the handler sees code
//
// Command layout, (conn, op, payload, extra):
//
//	(conn, WSAccept, subprotocol | None, [(name, value), ...])
//	(conn, WSText, str, 0) / (conn, WSBytes, bytes, 0)
//	(conn, WSClose, reason, code)
const (
	kindWSOpen    = -4
	kindWSMessage = -5
	kindWSClosed  = -6
)

// WebSocket command operations.
const (
	WSAccept = 1
	WSText   = 2
	WSBytes  = 3
	WSClose  = 4
)

// WSCommand is one thing a handler asked for. It owns its memory.
type WSCommand struct {
	Conn        uint64
	Op          int
	Data        []byte // message, subprotocol (WSAccept) or close reason
	Code        int    // close code
	Headers     []KV   // extra handshake headers (WSAccept)
	Subprotocol bool   // Data holds a subprotocol (WSAccept)
}

// WSSink receives the commands of one batch, on the loop thread; it must not block.
type WSSink func(cmds []WSCommand)

var wsSink atomic.Pointer[WSSink]

// SetWSSink installs where handler commands go (the server's connection registry).
func (l *Loop) SetWSSink(sink WSSink) { wsSink.Store(&sink) }

// wsEvent is a queued WebSocket item.
type wsEvent struct {
	conn    uint64
	text    bool
	data    []byte
	code    int
	pending *atomic.Int32 // the connection's count of messages not yet taken by Python
}

// WSOpen starts the handler of connection conn. req's slices must stay valid until the
// handler has answered (accepted or closed): the item is built when the loop takes it.
func (l *Loop) WSOpen(conn uint64, req *Request) {
	l.submit(&call{kind: kindWSOpen, req: req, ws: &wsEvent{conn: conn}}, false)
}

// WSMessage hands one client message to the handler; data is owned by the item.
// pending is decremented when Python takes it.
func (l *Loop) WSMessage(conn uint64, text bool, data []byte, pending *atomic.Int32) {
	l.submit(&call{kind: kindWSMessage, ws: &wsEvent{conn: conn, text: text, data: data, pending: pending}}, false)
}

// WSClosed tells the handler the connection is gone, with the close code it sees.
func (l *Loop) WSClosed(conn uint64, code int, reason string) {
	l.submit(&call{kind: kindWSClosed, ws: &wsEvent{conn: conn, code: code, data: []byte(reason)}}, false)
}

// wsItem builds the Python item of a queued WebSocket event.
func (l *Loop) wsItem(c *call) *C.PyObject {
	e := c.ws
	conn := C.long(e.conn)
	switch c.kind {
	case kindWSOpen:
		var resp Response
		req := l.items.request(int(e.conn), c.req, &resp)
		if resp.Err != nil {
			C.bolt_xdecref(req)
			setRuntimeError(resp.Err.Error())
			return nil
		}
		return C.bolt_ws_open_item(conn, kindWSOpen, req)
	case kindWSMessage:
		if e.pending != nil {
			e.pending.Add(-1)
		}
		text := C.int(0)
		if e.text {
			text = 1
		}
		return C.bolt_ws_message_item(conn, kindWSMessage, text, cbytes(e.data), C.Py_ssize_t(len(e.data)))
	default:
		return C.bolt_ws_closed_item(conn, kindWSClosed, C.long(e.code), cbytes(e.data), C.Py_ssize_t(len(e.data)))
	}
}

// goWSSend implements django_bolt._core.ws_send(commands). It copies each command out
// of its Python objects and hands the batch to the sink, on the loop thread.
//
//export goWSSend
func goWSSend(list *C.PyObject) *C.PyObject {
	n := int(C.PyList_Size(list))
	cmds := make([]WSCommand, 0, n)
	for i := 0; i < n; i++ {
		var v C.bolt_ws_command
		if C.bolt_ws_command_view(C.PyList_GetItem(list, C.Py_ssize_t(i)), &v) < 0 {
			return nil
		}
		cmd := WSCommand{Conn: uint64(v.conn), Op: int(v.op), Code: int(v.code), Subprotocol: v.data != nil}
		if v.data != nil {
			cmd.Data = C.GoBytes(unsafe.Pointer(v.data), C.int(v.len))
		}
		if v.headers != nil {
			m := int(C.PyList_Size(v.headers))
			for j := 0; j < m; j++ {
				var name, value *C.char
				var nl, vl C.Py_ssize_t
				if C.bolt_header_pair(v.headers, C.Py_ssize_t(j), &name, &nl, &value, &vl) < 0 {
					return nil
				}
				cmd.Headers = append(cmd.Headers, KV{
					Key:   C.GoBytes(unsafe.Pointer(name), C.int(nl)),
					Value: C.GoBytes(unsafe.Pointer(value), C.int(vl)),
				})
			}
		}
		cmds = append(cmds, cmd)
	}
	if sink := wsSink.Load(); sink != nil {
		(*sink)(cmds)
	} else if len(cmds) > 0 {
		log.Printf("pyhost: %d WebSocket commands but no server to send them", len(cmds))
	}
	return C.bolt_none()
}
