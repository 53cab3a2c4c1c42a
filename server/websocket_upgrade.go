package server

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// The last step of a handshake. fasthttp hands a hijacked connection over wrapped
// around the reader that read the request, and when the project streams request
// bodies that reader is the server's whole head buffer (BOLT_MAX_HEADER_BYTES), which
// a WebSocket would then keep for as long as it is open. So the 101 is written by the
// library's net/http upgrader on the bare socket, once that reader is known to hold
// nothing: a client must not send frames before the 101, and one that did is still
// read through it.

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

// wsUpgrader writes the 101. The handshake was checked before (handshakeError and
// the route's checks), so it cannot refuse one.
var wsUpgrader = websocket.Upgrader{
	ReadBufferSize:  wsReadBufferSize,
	WriteBufferSize: 4096,
	WriteBufferPool: wsWriteBuffers,
	// Origin is checked against the CORS configuration before Python runs.
	CheckOrigin: func(*http.Request) bool { return true },
	Error:       func(http.ResponseWriter, *http.Request, int, error) {},
}

// handshakeHeaders are the request headers the upgrader reads.
var handshakeHeaders = []string{"Connection", "Upgrade", "Sec-WebSocket-Version", "Sec-WebSocket-Key"}

// handshakeRequest copies what the upgrader reads of the request.
func handshakeRequest(ctx *fasthttp.RequestCtx) *http.Request {
	r := &http.Request{Method: http.MethodGet, Header: make(http.Header, len(handshakeHeaders))}
	for _, name := range handshakeHeaders {
		r.Header.Set(name, string(ctx.Request.Header.Peek(name)))
	}
	return r
}

// upgradeHijacked writes the 101 on a connection fasthttp handed over (see the top of
// this file) and returns the WebSocket; extra holds the response headers the handler
// chose (its subprotocol as Sec-WebSocket-Protocol).
func upgradeHijacked(hijacked net.Conn, r *http.Request, extra http.Header) (*websocket.Conn, error) {
	return wsUpgrader.Upgrade(&hijackWriter{conn: bareConn(hijacked)}, r, extra)
}

// bareConn is the socket under a hijacked connection when fasthttp's reader holds no
// byte of it, else the hijacked connection itself.
func bareConn(hijacked net.Conn) net.Conn {
	h, ok := hijacked.(interface{ UnsafeConn() net.Conn })
	if !ok {
		return hijacked
	}
	bare := h.UnsafeConn()
	// With the deadline passed, a read returns what the reader holds, or fails at
	// once without taking anything from the socket.
	if bare.SetReadDeadline(time.Unix(1, 0)) != nil {
		return hijacked
	}
	var first [1]byte
	n, _ := hijacked.Read(first[:])
	if bare.SetReadDeadline(time.Time{}) != nil {
		return hijacked
	}
	if n > 0 {
		return &prefixedConn{Conn: hijacked, prefix: first[:n]}
	}
	return bare
}

// prefixedConn reads prefix, then the connection.
type prefixedConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
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
	// The upgrader reads frames through a reader of its own and writes the 101 in one
	// write: these two are never filled.
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 16)), nil
}
