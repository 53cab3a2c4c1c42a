package pyhost

/*
#include "websocket.h"
*/
import "C"

import (
	"sync/atomic"
	"unsafe"

	"djangobolt/protocol"
)

// WebSocket items and commands; their layouts are in protocol/websocket.go. No thread
// and no thread state per connection, no GIL hand-off per frame.

var wsSink atomic.Pointer[protocol.WSSink]

// SetWSSink installs where handler commands go (the server's connection registry).
func (l *Loop) SetWSSink(sink protocol.WSSink) { wsSink.Store(&sink) }

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
func (l *Loop) WSOpen(conn uint64, req *protocol.Request) {
	l.submit(&call{kind: protocol.KindWSOpen, req: req, ws: &wsEvent{conn: conn}}, false)
}

// WSMessage hands one client message to the handler; data is owned by the item.
// pending is decremented when Python takes it.
func (l *Loop) WSMessage(conn uint64, text bool, data []byte, pending *atomic.Int32) {
	l.submit(&call{kind: protocol.KindWSMessage, ws: &wsEvent{conn: conn, text: text, data: data, pending: pending}}, false)
}

// WSClosed tells the handler the connection is gone, with the close code it sees.
func (l *Loop) WSClosed(conn uint64, code int, reason string) {
	l.submit(&call{kind: protocol.KindWSClosed, ws: &wsEvent{conn: conn, code: code, data: []byte(reason)}}, false)
}

// wsItem builds the Python item of a queued WebSocket event. A handshake whose request
// cannot be handed over (its auth context does not convert) is closed with 1011 and
// never reaches Python.
func (l *Loop) wsItem(c *call) (*C.PyObject, error) {
	e := c.ws
	conn := C.long(e.conn)
	var item *C.PyObject
	switch c.kind {
	case protocol.KindWSOpen:
		req, err := requestItem(int(e.conn), c.req)
		if err != nil {
			l.log.Printf("pyhost: WebSocket %d closed before its handler: %v", e.conn, err)
			if sink := wsSink.Load(); sink != nil {
				(*sink)([]protocol.WSCommand{{Conn: e.conn, Op: protocol.WSClose, Code: 1011, Data: []byte("Internal Error")}})
			}
			return nil, err
		}
		item = C.bolt_ws_open_item(conn, protocol.KindWSOpen, req)
	case protocol.KindWSMessage:
		if e.pending != nil {
			e.pending.Add(-1)
		}
		text := C.int(0)
		if e.text {
			text = 1
		}
		item = C.bolt_ws_message_item(conn, protocol.KindWSMessage, text, cbytes(e.data), C.Py_ssize_t(len(e.data)))
	default:
		item = C.bolt_ws_closed_item(conn, protocol.KindWSClosed, C.long(e.code), cbytes(e.data), C.Py_ssize_t(len(e.data)))
	}
	if item == nil {
		return nil, fetchError()
	}
	return item, nil
}

// goWSSend implements django_bolt._core.ws_send(commands). It copies each command out
// of its Python objects and hands the batch to the sink, on the loop thread.
//
//export goWSSend
func goWSSend(list *C.PyObject) *C.PyObject {
	l := active
	if l == nil {
		setRuntimeError("django_bolt._core.ws_send: no server is running in this process")
		return nil
	}
	n := int(C.PyList_Size(list))
	cmds := make([]protocol.WSCommand, 0, n)
	for i := 0; i < n; i++ {
		var v C.bolt_ws_command
		if C.bolt_ws_command_view(C.PyList_GetItem(list, C.Py_ssize_t(i)), &v) < 0 {
			return nil
		}
		cmd := protocol.WSCommand{Conn: uint64(v.conn), Op: int(v.op), Code: int(v.code), Subprotocol: v.data != nil}
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
				cmd.Headers = append(cmd.Headers, protocol.KV{
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
		l.log.Printf("pyhost: %d WebSocket commands but no server to send them", len(cmds))
	}
	return C.bolt_none()
}
