package protocol

import "time"

// Want says which parts of a request the route's binding plan reads; only those cross
// into Python.
type Want uint8

const (
	WantParams Want = 1 << iota
	WantQuery
	WantHeaders
	WantBody
)

// KV is a name/value pair viewing memory owned by the caller.
type KV struct{ Key, Value []byte }

// Request is one call of a Python handler, laid out as the C bridge reads it, so the
// strings are copied out of fasthttp's buffers once and handed to C as they are.
//
// Strs holds, back to back, the method, the path, then the name and value of each path
// parameter, then of each header (names lower-case); Lens holds their lengths in that
// order. Query and Body may point into the server's buffers: they are read on the loop
// thread while the submitting goroutine waits.
type Request struct {
	Handler int
	Want    Want
	Strs    []byte
	Lens    []int32
	NParams int // the pairs after method and path that are path parameters; the rest are headers
	Query   []byte
	Body    []byte
	// BodyFile says Body holds the path of the file the body was spooled to (a large
	// multipart body), not the body: Python receives it as a str and parses the form
	// from disk.
	BodyFile bool
	Context  map[string]any // the auth context; nil when the route has none
	// Deadline bounds the wait for Python's answer; zero waits as long as the loop runs.
	Deadline time.Time
}

// Reset empties r for reuse, keeping its buffers.
func (r *Request) Reset() {
	*r = Request{Strs: r.Strs[:0], Lens: r.Lens[:0]}
}

// Begin starts the strings with the method and the path.
func (r *Request) Begin(method, path []byte) {
	r.Strs = append(append(r.Strs[:0], method...), path...)
	r.Lens = append(r.Lens[:0], int32(len(method)), int32(len(path)))
	r.NParams = 0
}

// Mark returns the current end of Strs, where the next string starts.
func (r *Request) Mark() int { return len(r.Strs) }

// EndString records the string appended to Strs since start.
func (r *Request) EndString(start int) { r.Lens = append(r.Lens, int32(len(r.Strs)-start)) }

// Method and Path return the first two strings.
func (r *Request) Method() []byte { return r.Strs[:r.Lens[0]] }
func (r *Request) Path() []byte   { return r.Strs[r.Lens[0] : r.Lens[0]+r.Lens[1]] }

// NumHeaders is the number of header pairs.
func (r *Request) NumHeaders() int { return (len(r.Lens)-2)/2 - r.NParams }

// Param returns path parameter i; Header returns header i.
func (r *Request) Param(i int) KV  { return r.pair(i) }
func (r *Request) Header(i int) KV { return r.pair(r.NParams + i) }

func (r *Request) pair(i int) KV {
	off := int(r.Lens[0] + r.Lens[1])
	for j := 2; j < 2+2*i; j++ {
		off += int(r.Lens[j])
	}
	k, v := int(r.Lens[2+2*i]), int(r.Lens[3+2*i])
	return KV{Key: r.Strs[off : off+k], Value: r.Strs[off+k : off+k+v]}
}

// Response is what Python answered. It owns its memory, so it outlives the Python objects.
type Response struct {
	Status int
	Body   []byte
	// Stream is the id of a stream to Pull chunks from, or -1 for a buffered body.
	Stream int
	// File is the path of a file to send from disk (a SendFile body), or "".
	File string
	// Err is set when Python could not produce a response at all (a bug, not a handler error).
	Err error

	buf  []byte
	hdrs []int32 // offsets into buf: name start, name end, value end per header
}

// Reset prepares r for reuse.
func (r *Response) Reset() {
	r.Status, r.Body, r.Stream, r.File, r.Err = 0, r.Body[:0], -1, "", nil
	r.buf, r.hdrs = r.buf[:0], r.hdrs[:0]
}

// NumHeaders is the number of headers Python set.
func (r *Response) NumHeaders() int { return len(r.hdrs) / 3 }

// Header returns header i; the slices stay valid until Reset.
func (r *Response) Header(i int) (name, value []byte) {
	h := r.hdrs[3*i:]
	return r.buf[h[0]:h[1]], r.buf[h[1]:h[2]]
}

// AddHeader appends a header (copied).
func (r *Response) AddHeader(name, value []byte) {
	start := int32(len(r.buf))
	r.buf = append(r.buf, name...)
	mid := int32(len(r.buf))
	r.buf = append(r.buf, value...)
	r.hdrs = append(r.hdrs, start, mid, int32(len(r.buf)))
}
