package server

import (
	"errors"
	"io"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// stream sends a StreamingResponse with chunked transfer encoding: fasthttp takes the
// body from a pythonStream and flushes every chunk it writes.
func (s *Server) stream(ctx *fasthttp.RequestCtx, id int) {
	if ctx.IsHead() {
		s.python.CloseStream(id)
		return
	}
	ctx.Response.SetBodyStream(&pythonStream{py: s.python, id: id}, -1)
}

// pythonStream takes what Python has produced, waiting for it when nothing is there.
// Each Pull returns every byte produced since the previous one, so a fast generator's
// chunks go out in few writes and a slow one's each go out as soon as produced.
// Close (called by fasthttp when the body is done or the client is gone) tells Python
// to close the generator if it has not ended.
type pythonStream struct {
	py    Python
	id    int
	resp  protocol.Response
	rest  []byte
	ended bool
}

// next fills p.rest, or returns io.EOF at the end or the error that broke the stream.
func (p *pythonStream) next() error {
	// An empty chunk is never the end: only End is (Python skips empty chunks already).
	for len(p.rest) == 0 {
		if p.ended {
			return io.EOF
		}
		p.resp.Reset()
		p.py.Pull(p.id, &p.resp)
		switch {
		case p.resp.Err != nil:
			p.ended = true
			return p.resp.Err
		case p.resp.Status == protocol.Chunk:
			p.rest = p.resp.Body
		case p.resp.Status == protocol.End:
			p.ended = true
			return io.EOF
		default:
			// The generator raised: end the body abruptly so the client sees a broken stream.
			p.ended = true
			return errors.New("stream failed: " + string(p.resp.Body))
		}
	}
	return nil
}

func (p *pythonStream) Read(b []byte) (int, error) {
	if err := p.next(); err != nil {
		return 0, err
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	return n, nil
}

// WriteTo writes each batch straight from the pulled buffer: fasthttp frames and
// flushes every Write as one chunk, with no copy buffer held for the stream's life.
func (p *pythonStream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if err := p.next(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
		n, err := w.Write(p.rest)
		total += int64(n)
		p.rest = p.rest[n:]
		if err != nil {
			return total, err
		}
	}
}

// SupportsBodyWriteTo tells fasthttp that WriteTo may replace Read.
func (p *pythonStream) SupportsBodyWriteTo() bool { return true }

func (p *pythonStream) Close() error {
	if !p.ended {
		p.ended = true
		p.py.CloseStream(p.id)
	}
	return nil
}
