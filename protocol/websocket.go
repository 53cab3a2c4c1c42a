package protocol

// WebSocket events reach Python as items of their own kinds, in the same batches as
// requests; what handlers send comes back in one django_bolt._core.ws_send call per
// batch.
//
// Items (the first position is the connection id, not a request id):
//
//	(conn, KindWSOpen, request item)    a handshake passed the checks: start the handler
//	(conn, KindWSMessage, str | bytes)  one complete message from the client
//	(conn, KindWSClosed, code, reason)  the connection is gone: the handler sees code
//
// Commands, (conn, op, payload, extra):
//
//	(conn, WSAccept, subprotocol | None, [(name, value), ...])
//	(conn, WSText, str, 0) / (conn, WSBytes, bytes, 0)
//	(conn, WSClose, reason, code)
const (
	KindWSOpen    = -4
	KindWSMessage = -5
	KindWSClosed  = -6
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
