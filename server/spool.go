package server

import (
	"bytes"
	"io"
	"os"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// BodyFileHeader is the pseudo-header naming the file that holds a spooled request
// body. Its name starts with ':', which no HTTP/1.x header name can, so a client
// cannot forge it.
const BodyFileHeader = ":bolt-body-file"

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
// answered. size is the declared Content-Length, or -1. It returns false after
// answering itself: a body over the limit, one that could not be read, or a file that
// could not be written (500).
func (s *Server) spool(ctx *fasthttp.RequestCtx, r *route, x *exchange, read []byte, rest io.Reader, size int) bool {
	f, err := os.CreateTemp("", "bolt-upload-*")
	if err != nil {
		return s.notStored(ctx, r, err)
	}
	x.body = f.Name()
	_, writeErr := f.Write(read)
	var n int64
	var readErr error
	if writeErr == nil {
		n, readErr, writeErr = copyBody(f, rest)
	}
	if cerr := f.Close(); writeErr == nil {
		writeErr = cerr
	}
	if writeErr != nil {
		return s.notStored(ctx, r, writeErr)
	}
	return s.bodyRead(ctx, r, len(read)+int(n), size, readErr)
}

// copyBody copies body to f, telling a failed read (the client's) from a failed write
// (the disk's).
func copyBody(f *os.File, body io.Reader) (n int64, readErr, writeErr error) {
	buf := make([]byte, 64<<10)
	for {
		m, err := body.Read(buf)
		if m > 0 {
			if _, werr := f.Write(buf[:m]); werr != nil {
				return n, nil, werr
			}
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil, nil
		}
		if err != nil {
			return n, err, nil
		}
	}
}

func (s *Server) notStored(ctx *fasthttp.RequestCtx, r *route, err error) bool {
	s.errorLog.Printf("django-bolt: cannot spool an upload to disk: %v", err)
	writeJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyUploadNotStored)
	ctx.SetConnectionClose()
	r.pipeline.StreamHeaders(ctx)
	return false
}
