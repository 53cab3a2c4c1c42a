package server

import (
	"bytes"
	"os"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// BodyFileHeader is the pseudo-header naming the file that holds a spooled request
// body. Its name starts with ':', which no HTTP/1.x header name can, so a client
// cannot forge it.
const BodyFileHeader = ":bolt-body-file"

var multipartType = []byte("multipart/form-data")

// spoolBody writes a large multipart body of a route that reads forms to a temporary
// file, so Python parses it from disk chunk by chunk (spooling large files to disk in
// turn) instead of receiving it as one bytes object. It returns the file's path, ""
// when the body stays in memory, or false after answering 500 itself. The caller
// removes the file once Python has answered.
//
// fasthttp has already read the whole body (it is bounded by BOLT_MAX_UPLOAD_SIZE);
// this keeps a second copy of it out of the interpreter's heap.
func (s *Server) spoolBody(ctx *fasthttp.RequestCtx, r *route) (string, bool) {
	if !r.forms {
		return "", true
	}
	body := ctx.PostBody()
	if len(body) <= s.table.Settings.MemorySpoolThreshold {
		return "", true
	}
	ct := bytes.TrimLeft(ctx.Request.Header.ContentType(), " \t")
	if len(ct) < len(multipartType) || !bytes.EqualFold(ct[:len(multipartType)], multipartType) {
		return "", true
	}
	f, err := os.CreateTemp("", "bolt-upload-*")
	if err == nil {
		_, err = f.Write(body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}
	if err != nil {
		s.errorLog.Printf("django-bolt: cannot spool a %d-byte upload to disk: %v", len(body), err)
		middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyUploadNotStored)
		return "", false
	}
	return f.Name(), true
}
