// Package protocol is the Go half of the contract between the HTTP server and the
// Python event loop: what a request item and a result hold, the control kinds and the
// pull statuses. python/django_bolt/_runtime/protocol.py is the Python half and
// pyhost/bridge.h the C one; protocol_test.go reads the Python file and fails when a
// value differs, and pyhost checks bridge.h's values against these at compile time.
//
// Items, Go → Python, taken by the loop thread in batches (django_bolt._core.exchange):
//
//	request: (rid, handler, method, path, params, query, headers, body, context)
//	control: (rid, kind, arg)
//
// A request carries its handler id (>= 0) where a control item carries its kind (< 0).
// params, query, headers and body are None unless the route's binding plan reads them
// (see Want); body is bytes, or a str: the path of the file holding a large multipart
// body the server spooled to disk (Request.BodyFile), which no header can name.
// context is the auth context dict, or None.
//
// Results, Python → Go, handed back with the next exchange:
//
//	request: (rid, status, headers, body)  body: bytes | stream id (int) | SendFile(path)
//	pull:    (rid, pull status, None, chunk)   (the test client's inline runner only)
//
// A chunk is never empty: Python skips empty chunks, so END alone ends a stream.
// On the server a stream's chunks do not come back as results: Python's producer puts
// them into Go's buffer (pyhost/stream.go), and KindPull, KindClose and KindStop are
// fire-and-forget.
package protocol

// Control kinds (item position Kind); a request item has its handler id there.
const (
	KindPull  = -1 // more of stream arg (the server: resume its producer; the test client: the next chunk)
	KindClose = -2 // the client went away: close stream arg
	KindStop  = -3 // stop the event loop
)

// Pull statuses: the status of a KindPull result.
const (
	Chunk  = 0 // the body holds the next chunk (never empty)
	End    = 1 // the stream ended
	Failed = 2 // the generator raised; the body holds the message
)

// Tuple lengths.
const (
	RequestItemLen = 9
	ControlItemLen = 3
	ResultLen      = 4
	SendFileLen    = 1 // SendFile(path) is a NamedTuple of one str
)

// Positions in an item: RID and Kind in both kinds, Arg in control items, the rest in
// request items.
const (
	RID     = 0
	Kind    = 1
	Arg     = 2
	Method  = 2
	Path    = 3
	Params  = 4
	Query   = 5
	Headers = 6
	Body    = 7
	Context = 8
)
