package server

import (
	"errors"
	"io"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// stream sends a StreamingResponse with chunked transfer encoding: fasthttp takes the
// body from a pythonStream and flushes every chunk it writes. A stream that has to
// wait for Python is handed over on its way (handover.go).
func (s *Server) stream(ctx *fasthttp.RequestCtx, r *route, id int) {
	if ctx.IsHead() {
		s.python.CloseStream(id)
		return
	}
	ctx.Response.SetBodyStream(&pythonStream{py: s.python, id: id, handover: s.handover(ctx, r)}, -1)
}

// pythonStream takes what Python has produced, waiting for it when nothing is there.
// Each Pull returns every byte produced since the previous one, so a fast generator's
// chunks go out in few writes and a slow one's each go out as soon as produced.
// Close (called by fasthttp when the body is done or the client is gone) tells Python
// to close the generator if it has not ended; once the stream is handed over, its own
// writer does (stop).
type pythonStream struct {
	py       Python
	id       int
	resp     protocol.Response
	rest     []byte
	ended    bool
	handover *handover // nil: fasthttp writes the whole body
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
// Once a chunk is out and the next one has to wait for a slow stream, the stream is
// handed over and WriteTo ends with errHandedOver.
func (p *pythonStream) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		var waitFrom time.Time
		if h := p.handover; h != nil && !h.started && total > 0 && len(p.rest) == 0 && !p.ended && h.ready(p.id) {
			if h.slow {
				h.start(p)
				return total, errHandedOver
			}
			waitFrom = time.Now()
		}
		err := p.next()
		if !waitFrom.IsZero() && time.Since(waitFrom) >= slowStreamWait {
			p.handover.slow = true
		}
		if err != nil {
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
	if p.handover == nil || !p.handover.started {
		p.stop()
	}
	return nil
}

// stop closes the generator unless it has ended.
func (p *pythonStream) stop() {
	if !p.ended {
		p.ended = true
		p.py.CloseStream(p.id)
	}
}
