package server

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// serveFile sends the file at path as the body without reading it into memory. When
// the handler kept status 200 it also answers conditional and range requests
// (RFC 9110 sections 13 and 14), so clients can revalidate caches and resume or seek
// within downloads without fetching the whole file again.
func serveFile(ctx *fasthttp.RequestCtx, path string) {
	// O_NONBLOCK: opening a FIFO would otherwise wait for a writer. It changes nothing
	// for a regular file, and anything else is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		fileError(ctx, err)
		return
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist // a directory, FIFO or device is no file to send
		}
		fileError(ctx, err)
		return
	}
	size := info.Size()
	h := &ctx.Response.Header
	setValidators(h, info)
	offset, length, send := answerFile(ctx, size, currentValidators(h))
	if !send {
		// Answered without the body (304, 412, 416, HEAD): no reason to keep it open.
		f.Close()
		return
	}
	if offset == 0 && length == size {
		// The *os.File itself lets fasthttp use sendfile on TCP connections.
		ctx.Response.SetBodyStream(f, int(length))
		return
	}
	ctx.Response.SetBodyStream(fileSection{io.NewSectionReader(f, offset, length), f}, int(length))
}

// answerFile decides what a file response of size bytes carries, once its validators
// (v) are set: it adds Accept-Ranges and, when the handler kept status 200, answers the
// conditional headers (304, 412) and Range (206, or 416 for a range past the end). It
// returns the byte range to send, and send false when the answer is complete without
// a body: a refusal, or a HEAD response, which gets the Content-Length instead.
func answerFile(ctx *fasthttp.RequestCtx, size int64, v validators) (offset, length int64, send bool) {
	h := &ctx.Response.Header
	h.SetCanonical(hAcceptRanges, bytesUnit)
	offset, length = 0, size
	if ctx.Response.StatusCode() == fasthttp.StatusOK {
		switch precondition(&ctx.Request.Header, v) {
		case fasthttp.StatusNotModified:
			notModified(ctx)
			return 0, 0, false
		case fasthttp.StatusPreconditionFailed:
			refuse(ctx, fasthttp.StatusPreconditionFailed, protocol.TextPreconditionFailed)
			return 0, 0, false
		}
		start, n, res := requestedRange(ctx, size, v)
		switch res {
		case rangeUnsatisfiable:
			refuse(ctx, fasthttp.StatusRequestedRangeNotSatisfiable, protocol.TextRangeNotSatisfiable)
			h.Set(fasthttp.HeaderContentRange, "bytes */"+strconv.FormatInt(size, 10))
			return 0, 0, false
		case rangeSatisfiable:
			offset, length = start, n
			ctx.SetStatusCode(fasthttp.StatusPartialContent)
			h.Set(fasthttp.HeaderContentRange, "bytes "+strconv.FormatInt(start, 10)+"-"+
				strconv.FormatInt(start+n-1, 10)+"/"+strconv.FormatInt(size, 10))
		}
	}
	if ctx.IsHead() {
		// fasthttp keeps an explicit Content-Length on a bodiless HEAD response.
		h.SetContentLength(int(length))
		return offset, length, false
	}
	return offset, length, true
}

// Header names in fasthttp's normalized form, as SetCanonical and PeekCanonical take them.
var (
	hAcceptRanges = []byte(fasthttp.HeaderAcceptRanges)
	hETag         = []byte("Etag")
	hLastModified = []byte(fasthttp.HeaderLastModified)
	bytesUnit     = []byte("bytes")
)

// fileSection streams one byte range of an open file and closes the file when
// fasthttp is done with the body; the section bounds every reader, not just the
// connection writer that honours Content-Length.
type fileSection struct {
	*io.SectionReader
	f *os.File
}

// Close releases the file once the response has been written or dropped.
func (s fileSection) Close() error { return s.f.Close() }

// fileError replaces the response with a plain-text error matching why the file
// could not be served. It never names the path: clients must not learn the server's
// layout.
func fileError(ctx *fasthttp.RequestCtx, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		middleware.WriteText(ctx, fasthttp.StatusNotFound, protocol.TextFileNotFound)
	case errors.Is(err, fs.ErrPermission):
		middleware.WriteText(ctx, fasthttp.StatusForbidden, protocol.TextFilePermission)
	default:
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		middleware.WriteText(ctx, fasthttp.StatusInternalServerError, protocol.TextFileError+err.Error())
	}
}

// setValidators adds Last-Modified and ETag derived from the file unless the handler
// chose its own, so caches can revalidate without downloading the file again.
func setValidators(h *fasthttp.ResponseHeader, info fs.FileInfo) {
	lastModified, etag := fileValidators(info)
	if len(h.PeekCanonical(hLastModified)) == 0 {
		h.SetCanonical(hLastModified, lastModified)
	}
	if len(h.PeekCanonical(hETag)) == 0 {
		h.SetCanonical(hETag, etag)
	}
}

// fileValidators are the Last-Modified and ETag values of a file's current content.
func fileValidators(info fs.FileInfo) (lastModified, etag []byte) {
	lastModified = fasthttp.AppendHTTPDate(nil, info.ModTime())
	// Size and nanosecond mtime change whenever the content is rewritten in place.
	etag = strconv.AppendInt([]byte{'"'}, info.Size(), 16)
	etag = append(etag, '-')
	etag = strconv.AppendInt(etag, info.ModTime().UnixNano(), 16)
	return lastModified, append(etag, '"')
}

// validators is what the response says identifies the file's current content.
type validators struct {
	etag     []byte
	modified time.Time
	hasDate  bool
}

// currentValidators reads the validators back from the response headers, so that
// values set by the handler are the ones requests are compared against.
func currentValidators(h *fasthttp.ResponseHeader) validators {
	v := validators{etag: h.Peek(fasthttp.HeaderETag)}
	v.modified, v.hasDate = httpDate(h.Peek(fasthttp.HeaderLastModified))
	return v
}

// httpDate parses an HTTP date, reporting false for absent or invalid values, which
// the conditional headers then ignore.
func httpDate(b []byte) (time.Time, bool) {
	if len(b) == 0 {
		return time.Time{}, false
	}
	t, err := fasthttp.ParseHTTPDate(b)
	return t, err == nil
}

// precondition evaluates the conditional request headers in the order of RFC 9110
// section 13.2.2 and returns 304, 412, or 0 when the file should be sent.
func precondition(req *fasthttp.RequestHeader, v validators) int {
	if list := req.Peek(fasthttp.HeaderIfMatch); len(list) > 0 {
		if !etagListMatches(list, v.etag, true) {
			return fasthttp.StatusPreconditionFailed
		}
	} else if t, ok := httpDate(req.Peek(fasthttp.HeaderIfUnmodifiedSince)); ok && v.hasDate && v.modified.After(t) {
		return fasthttp.StatusPreconditionFailed
	}
	safe := req.IsGet() || req.IsHead()
	if list := req.Peek(fasthttp.HeaderIfNoneMatch); len(list) > 0 {
		if etagListMatches(list, v.etag, false) {
			if safe {
				return fasthttp.StatusNotModified
			}
			return fasthttp.StatusPreconditionFailed
		}
	} else if safe {
		if t, ok := httpDate(req.Peek(fasthttp.HeaderIfModifiedSince)); ok && v.hasDate && !v.modified.After(t) {
			return fasthttp.StatusNotModified
		}
	}
	return 0
}

// etagListMatches reports whether an If-Match/If-None-Match value ("*" or a list of
// entity tags) matches etag, using strong or weak comparison (RFC 9110 8.8.3.2). A
// malformed list matches nothing from the first bad member on.
func etagListMatches(list, etag []byte, strong bool) bool {
	if t := bytes.Trim(list, " \t"); len(t) == 1 && t[0] == '*' {
		return true
	}
	weak, opaque, ok := splitETag(etag)
	if !ok || (strong && weak) {
		return false
	}
	for len(list) > 0 {
		list = bytes.TrimLeft(list, " \t,")
		if len(list) == 0 {
			break
		}
		w := bytes.HasPrefix(list, []byte("W/"))
		if w {
			list = list[2:]
		}
		if len(list) == 0 || list[0] != '"' {
			return false
		}
		end := bytes.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if bytes.Equal(list[1:end+1], opaque) && !(strong && w) {
			return true
		}
		list = list[end+2:]
	}
	return false
}

// splitETag separates an entity tag into its weakness flag and quoted opaque part.
func splitETag(tag []byte) (weak bool, opaque []byte, ok bool) {
	tag = bytes.Trim(tag, " \t")
	if bytes.HasPrefix(tag, []byte("W/")) {
		weak, tag = true, tag[2:]
	}
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return false, nil, false
	}
	return weak, tag[1 : len(tag)-1], true
}

// notModified turns the response into a 304 that keeps the validators and caching
// headers but none of the representation metadata (RFC 9110 section 15.4.5).
func notModified(ctx *fasthttp.RequestCtx) {
	dropRepresentation(&ctx.Response.Header)
	ctx.Response.ResetBody()
	ctx.SetStatusCode(fasthttp.StatusNotModified)
}

// refuse answers with a short text body instead of the file while keeping the
// headers unrelated to the file's content (cookies, CORS, caching).
func refuse(ctx *fasthttp.RequestCtx, status int, body string) {
	dropRepresentation(&ctx.Response.Header)
	ctx.SetStatusCode(status)
	ctx.SetContentType(protocol.ContentTypeText)
	ctx.SetBodyString(body)
}

// dropRepresentation removes the headers that describe the file's body, which would
// be wrong on a response that does not carry it.
func dropRepresentation(h *fasthttp.ResponseHeader) {
	for _, name := range []string{
		fasthttp.HeaderContentType, fasthttp.HeaderContentLength, fasthttp.HeaderContentDisposition,
		fasthttp.HeaderContentEncoding, fasthttp.HeaderContentLanguage, fasthttp.HeaderContentRange,
	} {
		h.Del(name)
	}
}

type rangeResult int

const (
	rangeIgnored rangeResult = iota
	rangeSatisfiable
	rangeUnsatisfiable
)

// requestedRange decides whether a GET or HEAD asks for a slice of the file: it
// applies If-Range and then parses the Range header.
func requestedRange(ctx *fasthttp.RequestCtx, size int64, v validators) (start, length int64, res rangeResult) {
	req := &ctx.Request.Header
	spec := req.Peek(fasthttp.HeaderRange)
	if len(spec) == 0 || !(req.IsGet() || req.IsHead()) {
		return 0, 0, rangeIgnored
	}
	if cond := req.Peek(fasthttp.HeaderIfRange); len(cond) > 0 && !ifRangeHolds(cond, v) {
		return 0, 0, rangeIgnored
	}
	return parseRange(spec, size)
}

// ifRangeHolds reports whether the client's copy is still current, so that a range of
// it may be sent (RFC 9110 section 13.1.5); otherwise the whole file goes out.
func ifRangeHolds(cond []byte, v validators) bool {
	if cond[0] == '"' || bytes.HasPrefix(cond, []byte("W/")) {
		weak, opaque, ok := splitETag(cond)
		cur, curOpaque, curOK := splitETag(v.etag)
		return ok && curOK && !weak && !cur && bytes.Equal(opaque, curOpaque)
	}
	t, ok := httpDate(cond)
	// A date is only a strong validator when the file had not changed for at least a
	// second before now; otherwise a second write within that second could go unseen.
	return ok && v.hasDate && v.modified.Equal(t) && v.modified.Before(time.Now().Add(-time.Second))
}

// parseRange resolves a "bytes=" Range header against a file of size bytes
// (RFC 9110 section 14.1.1). Headers that are malformed, use another unit, or ask
// for several ranges are ignored: sending the whole file is always allowed and
// spares a multipart/byteranges body. A zero-length file has no byte to point at,
// so any range on it is ignored too.
func parseRange(spec []byte, size int64) (start, length int64, res rangeResult) {
	const unit = "bytes="
	if len(spec) < len(unit) || !bytes.EqualFold(spec[:len(unit)], []byte(unit)) || size <= 0 {
		return 0, 0, rangeIgnored
	}
	var one []byte
	for _, part := range bytes.Split(spec[len(unit):], []byte(",")) {
		part = bytes.Trim(part, " \t")
		if len(part) == 0 {
			continue // empty list elements are allowed
		}
		if one != nil {
			return 0, 0, rangeIgnored
		}
		one = part
	}
	dash := bytes.IndexByte(one, '-')
	if dash < 0 {
		return 0, 0, rangeIgnored
	}
	first, last := one[:dash], one[dash+1:]
	if len(first) == 0 {
		n, ok := digits(last)
		if !ok {
			return 0, 0, rangeIgnored
		}
		if n == 0 {
			return 0, 0, rangeUnsatisfiable
		}
		n = min(n, size)
		return size - n, n, rangeSatisfiable
	}
	from, ok := digits(first)
	if !ok {
		return 0, 0, rangeIgnored
	}
	to := int64(math.MaxInt64)
	if len(last) > 0 {
		if to, ok = digits(last); !ok || to < from {
			return 0, 0, rangeIgnored
		}
	}
	if from >= size {
		return 0, 0, rangeUnsatisfiable
	}
	to = min(to, size-1)
	return from, to - from + 1, rangeSatisfiable
}

// digits parses a non-empty run of ASCII digits, saturating at MaxInt64 so that huge
// positions still mean "past the end" rather than a syntax error.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (math.MaxInt64-9)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + int64(c-'0')
		}
	}
	return n, true
}
