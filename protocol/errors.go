package protocol

import (
	"strconv"
	"strings"
)

// Every error body the Go side writes lives here, so that one file shows what clients
// can receive before (or instead of) Python.
//
// JSON errors have Python's shape, {"detail": ...} encoded as msgspec encodes it, with
// the content type ContentTypeJSON. The details that both sides send for the same
// condition (401, 403, 405, 413, 500) have twins in _runtime/protocol.py (DETAIL_*), which
// protocol_test.go compares; python/tests/test_error_bodies.py compares the bytes
// each side writes. A few answers are plain text, as the original server sent them.
const (
	ContentTypeJSON = "application/json"
	ContentTypeText = "text/plain; charset=utf-8"
)

// Details both sides send.
const (
	DetailUnauthenticated  = "Authentication required"
	DetailPermissionDenied = "Permission denied"
	DetailMethodNotAllowed = "Method Not Allowed"
	DetailInternal         = "Internal Server Error"
	// DetailBodyTooLarge is the 413 detail; {limit} stands for BOLT_MAX_UPLOAD_SIZE.
	DetailBodyTooLarge = "Request body too large (max {limit} bytes)"
)

// JSON bodies.
var (
	BodyUnauthenticated   = ErrorJSON(DetailUnauthenticated)
	BodyPermissionDenied  = ErrorJSON(DetailPermissionDenied)
	BodyMethodNotAllowed  = ErrorJSON(DetailMethodNotAllowed)
	BodyInternal          = ErrorJSON(DetailInternal)
	BodyBusy              = ErrorJSON("Server busy, retry shortly")
	BodyRateLimitKeyLong  = ErrorJSON("Rate limit key too long")
	BodyOriginNotAllowed  = ErrorJSON("Origin not allowed")
	BodyHTTPVersion       = ErrorJSON("HTTP Version Not Supported: use HTTP/1.1")
	BodyBareLF            = ErrorJSON("Bad Request: end the request line and header lines with CRLF, not a bare LF")
	BodyNotHTTP11         = ErrorJSON("Bad Request: the request is not valid HTTP/1.1")
	BodyUploadNotStored   = ErrorJSON("Could not store the upload")
	BodyBadStaticPath     = ErrorJSON("Invalid static file path")
	BodyInvalidHost       = ErrorJSON("Invalid Host header") // outside ALLOWED_HOSTS
	BodyTooManyWebSockets = ErrorJSON("Too many WebSocket connections")
	BodyWebSocketNoAccept = ErrorJSON("WebSocket handler did not accept in time")
	BodyAutomaticOptions  = []byte("{}") // not an error: the answer to an automatic OPTIONS
)

// Plain-text bodies.
const (
	TextNotFound             = "Not Found"
	TextBadRequest           = "Bad Request"
	TextTooManyHeaders       = "Too many headers"
	TextHeadersTooLarge      = "Request headers too large"
	TextRequestTimeout       = "Request Timeout"
	TextFileNotFound         = "File not found"
	TextFilePermission       = "Permission denied"
	TextFileError            = "File error: " // + the error
	TextPreconditionFailed   = "Precondition Failed"
	TextRangeNotSatisfiable  = "Range Not Satisfiable"
	TextCORSNotConfigured    = "CORS not configured for this endpoint"
	TextCORSOriginNotAllowed = "CORS origin not allowed"
	TextWebSocketExpected    = "This path expects a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)"
)

// TextHeaderValueTooLarge is the 400 body for a header value over limit bytes.
func TextHeaderValueTooLarge(limit int) string {
	return "Header value too large (max " + strconv.Itoa(limit) + " bytes)"
}

// BodyTooLarge is the 413 body for a request body over limit bytes.
func BodyTooLarge(limit int) []byte {
	return ErrorJSON(strings.Replace(DetailBodyTooLarge, "{limit}", strconv.Itoa(limit), 1))
}

// BodyRateLimited is the 429 body; retryAfter is in seconds.
func BodyRateLimited(retryAfter int64) []byte {
	if retryAfter >= 0 && retryAfter < int64(len(rateLimitedBodies)) {
		return rateLimitedBodies[retryAfter]
	}
	return rateLimitedBody(retryAfter)
}

// rateLimitedBodies are the bodies of the common waits, built once: a client past its
// limit is refused without an allocation.
var rateLimitedBodies = func() (bodies [61][]byte) {
	for i := range bodies {
		bodies[i] = rateLimitedBody(int64(i))
	}
	return bodies
}()

func rateLimitedBody(retryAfter int64) []byte {
	n := strconv.FormatInt(retryAfter, 10)
	b := []byte(`{"detail":"Rate limit exceeded. Try again in ` + n + ` seconds.","retry_after":` + n + `}`)
	return b[:len(b):len(b)]
}

// ErrorJSON is {"detail": detail} as msgspec encodes it: no spaces, the text as UTF-8
// with only '"', '\\' and control characters escaped (short forms where JSON has them).
func ErrorJSON(detail string) []byte {
	b := append(make([]byte, 0, len(detail)+14), `{"detail":"`...)
	for i := 0; i < len(detail); i++ {
		switch c := detail[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\f':
			b = append(b, `\f`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	b = append(b, `"}`...)
	return b[:len(b):len(b)] // shared by every response: an append must copy
}
