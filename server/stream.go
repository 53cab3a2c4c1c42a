package server

import (
	"errors"
	"io"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// stream sends a StreamingResponse: fasthttp reads the body from a pythonStream,
// writing and flushing each chunk as it arrives (chunked transfer encoding).
func (s *Server) stream(ctx *fasthttp.RequestCtx, id int) {
	if ctx.IsHead() {
		s.python.CloseStream(id)
		return
	}
	ctx.Response.SetBodyStream(&pythonStream{py: s.python, id: id}, -1)
}

// pythonStream pulls chunks from the event loop on demand, so at most one chunk per
// stream is buffered. Close (called by fasthttp when the body is done or the client
// is gone) tells Python to close the generator if it has not ended.
type pythonStream struct {
	py    Python
	id    int
	resp  protocol.Response
	rest  []byte
	ended bool
}

func (p *pythonStream) Read(b []byte) (int, error) {
	// An empty chunk is never the end: only End is (Python skips empty chunks already).
	for len(p.rest) == 0 {
		if p.ended {
			return 0, io.EOF
		}
		p.resp.Reset()
		p.py.Pull(p.id, &p.resp)
		switch {
		case p.resp.Err != nil:
			p.ended = true
			return 0, p.resp.Err
		case p.resp.Status == protocol.Chunk:
			p.rest = p.resp.Body
		case p.resp.Status == protocol.End:
			p.ended = true
			return 0, io.EOF
		default:
			// The generator raised: end the body abruptly so the client sees a broken stream.
			p.ended = true
			return 0, errors.New("stream failed: " + string(p.resp.Body))
		}
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	return n, nil
}

func (p *pythonStream) Close() error {
	if !p.ended {
		p.ended = true
		p.py.CloseStream(p.id)
	}
	return nil
}
