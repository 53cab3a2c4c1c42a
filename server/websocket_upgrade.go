package server

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"
)

// The last step of a handshake. fasthttp hands a hijacked connection over wrapped
// around the reader that read the request, and when the project streams request
// bodies that reader is the server's whole head buffer (BOLT_MAX_HEADER_BYTES), which
// a WebSocket would then keep for as long as it is open. So the 101 is written by the
// library's net/http upgrader on the bare socket, once the bytes that reader (or the
// server's read-ahead, readahead.go) holds past the request are taken out. A client
// must wait for the 101 before it sends frames; those of one that did not are handed
// to the connection's first reader, which reads them before the socket, and the
// connection is watched and limited like any other from then on.

// isWebSocketUpgrade reports whether a request asks for a WebSocket: Connection holds
// the "upgrade" token and Upgrade the "websocket" one (both case-insensitive).
// Every request is asked this: Upgrade, which few requests have, is looked at first,
// by its canonical name (no per-call re-casing, see middleware/headers.go).
func isWebSocketUpgrade(ctx *fasthttp.RequestCtx) bool {
	return hasTokenFold(ctx.Request.Header.PeekCanonical(canonicalUpgrade), "websocket") &&
		hasTokenFold(ctx.Request.Header.PeekCanonical(canonicalConnection), "upgrade")
}

var (
	canonicalUpgrade    = []byte(fasthttp.HeaderUpgrade)
	canonicalConnection = []byte(fasthttp.HeaderConnection)
)

func hasTokenFold(list []byte, token string) bool {
	// Every request is asked this: SplitSeq, unlike Split, allocates nothing.
	for t := range bytes.SplitSeq(list, []byte(",")) {
		if bytes.EqualFold(bytes.TrimSpace(t), []byte(token)) {
			return true
		}
	}
	return false
}

// handshakeError checks the parts of an upgrade request the checks before Python do
// not: the answer for a malformed one (status and text), or 0.
func handshakeError(ctx *fasthttp.RequestCtx) (int, string) {
	switch {
	case !ctx.IsGet():
		return fasthttp.StatusMethodNotAllowed, "websocket: the client is not using the websocket protocol: request method is not GET"
	case !hasToken(ctx.Request.Header.Peek("Sec-WebSocket-Version"), "13"):
		return fasthttp.StatusBadRequest, "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header"
	case !validKey(ctx.Request.Header.Peek("Sec-WebSocket-Key")):
		return fasthttp.StatusBadRequest, "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length"
	}
	return 0, ""
}

func hasToken(list []byte, token string) bool {
	for _, t := range bytes.Split(list, []byte(",")) {
		if string(bytes.TrimSpace(t)) == token {
			return true
		}
	}
	return false
}

// validKey: Sec-WebSocket-Key is 16 bytes in base64, always 24 characters.
func validKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var out [18]byte
	n, err := base64.StdEncoding.Decode(out[:], key)
	return err == nil && n == 16
}

// handshakeRequest is what the upgrader reads of the request: only the key, since the
// handshake was checked before (handshakeError, isWebSocketUpgrade and the route's
// checks, Origin against the CORS configuration) and the upgrader must not refuse it.
func handshakeRequest(ctx *fasthttp.RequestCtx) *http.Request {
	return &http.Request{Method: http.MethodGet, ProtoMajor: 1, ProtoMinor: 1, Host: "-", Header: http.Header{
		"Connection":            {"Upgrade"},
		"Upgrade":               {"websocket"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {string(ctx.Request.Header.Peek("Sec-WebSocket-Key"))},
	}}
}

// upgradeHijacked writes the 101 on a connection fasthttp handed over (see the top of
// this file) and returns the WebSocket with the bytes the client sent before the 101;
// extra holds the response headers the handler chose (its subprotocol as
// Sec-WebSocket-Protocol).
func upgradeHijacked(hijacked net.Conn, r *http.Request, extra http.Header) (net.Conn, []byte, error) {
	bare, early, err := bareConn(hijacked)
	if err != nil {
		return nil, nil, err
	}
	nc, _, _, err := ws.HTTPUpgrader{Header: extra}.Upgrade(r, &hijackWriter{conn: bare})
	return nc, early, err
}

// bareConn is the socket under a hijacked connection, with the bytes fasthttp's
// reader holds past the request.
func bareConn(hijacked net.Conn) (net.Conn, []byte, error) {
	h, ok := hijacked.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return nil, nil, fmt.Errorf("websocket: a hijacked %T has no socket to hand over", hijacked)
	}
	bare := h.UnsafeConn()
	// With the deadline passed, a read returns what the reader holds, or fails at
	// once without taking anything from the socket.
	if err := bare.SetReadDeadline(time.Unix(1, 0)); err != nil {
		return nil, nil, err
	}
	var early []byte
	var chunk [512]byte
	for {
		n, err := hijacked.Read(chunk[:])
		early = append(early, chunk[:n]...)
		if err != nil {
			break
		}
	}
	return bare, early, bare.SetReadDeadline(time.Time{})
}

// hijackWriter is the http.ResponseWriter the upgrader hijacks: the connection is
// already taken over, so it only hands it on.
type hijackWriter struct {
	conn   net.Conn
	header http.Header
}

var errNoResponse = errors.New("websocket: the handshake was checked before it was hijacked")

func (w *hijackWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *hijackWriter) Write([]byte) (int, error) { return 0, errNoResponse }

func (w *hijackWriter) WriteHeader(int) {}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	// The upgrader writes the 101 through the writer and flushes it; frames are read
	// from the connection, never through this reader.
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 512)), nil
}
