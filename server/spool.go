package server

import (
	"bytes"
	"io"
	"os"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

var multipartType = []byte("multipart/form-data")

// spoolable reports whether a multipart body of size bytes (past the threshold) of a
// route that parses forms goes to a temporary file: Python then parses it from disk
// chunk by chunk (spooling large files to disk in turn) instead of receiving it as one
// bytes object.
func (s *Server) spoolable(ctx *fasthttp.RequestCtx, r *route, size int) bool {
	if !r.forms || size <= s.table.Settings.MemorySpoolThreshold {
		return false
	}
	ct := bytes.TrimLeft(ctx.Request.Header.ContentType(), " \t")
	return len(ct) >= len(multipartType) && bytes.EqualFold(ct[:len(multipartType)], multipartType)
}

// spool writes the body (the bytes read already, then the rest) to a temporary file
// whose path it leaves in x.body; the caller removes the file once Python has
// answered. File() limits the route declares are checked as the body goes by
// (uploads.go). size is the declared Content-Length, or -1. It returns false after
// answering itself: a file over its limits (422), a body over the limit, one that
// could not be read, or a file that could not be written (500).
func (s *Server) spool(ctx *fasthttp.RequestCtx, r *route, x *exchange, read []byte, rest io.Reader, size int) bool {
	f, err := os.CreateTemp("", "bolt-upload-*")
	if err != nil {
		return s.notStored(ctx, err)
	}
	x.body = f.Name()
	out := &spoolFile{f: f}
	body := io.TeeReader(io.MultiReader(bytes.NewReader(read), rest), out)
	var readErr error
	check, boundary := newUploadCheck(r, ctx.Request.Header.ContentType(), true)
	if check != nil {
		readErr = check.run(body, boundary)
	} else {
		readErr = drain(body)
	}
	if cerr := f.Close(); out.err == nil {
		out.err = cerr
	}
	switch {
	case out.err != nil:
		return s.notStored(ctx, out.err)
	case check != nil && check.problem != nil:
		middleware.WriteJSON(ctx, fasthttp.StatusUnprocessableEntity, check.problem)
		// The rest of the body is not read: this is the connection's last answer.
		closeAfterDraining(ctx)
		return false
	}
	return s.bodyRead(ctx, out.n, size, readErr)
}

// spoolFile is the file a body is copied to; it counts the bytes and keeps the first
// write error apart from the request's read errors.
type spoolFile struct {
	f   *os.File
	n   int
	err error
}

func (w *spoolFile) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(p)
	w.n += n
	w.err = err
	return n, err
}

// notStored answers 500 when the spooled file cannot be written (a full disk).
func (s *Server) notStored(ctx *fasthttp.RequestCtx, err error) bool {
	s.errorLog.Printf("django-bolt: cannot spool an upload to disk: %v", err)
	middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyUploadNotStored)
	ctx.SetConnectionClose()
	return false
}
