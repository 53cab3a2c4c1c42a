package server

import "bytes"

// headGuard finds bare-LF line endings in the request heads of one connection as its
// bytes are read, so that a request the server cannot parse is refused at once instead
// of waiting for the read timeout (protocol.go).
//
// It follows the connection's request framing the way fasthttp reads it: a head up to
// its CRLF CRLF, then a body of Content-Length bytes or a chunked body with its
// trailer section, then the next head. So every head is scanned, also one pipelined
// behind another in the same read, and no body byte is ever taken for a head byte.
// Where it cannot follow the framing (an Upgrade request, whose next bytes may belong
// to another protocol, or framing fasthttp refuses anyway) it stops, and resumes with
// the next request once the server handled the current one (resync).
type headGuard struct {
	state guardState
	prev  byte // last byte scanned, across reads
	crlfs int  // consecutive CRLF pairs ending at prev (2 ends a head)

	// The header line being read, enough of it to recognise the framing headers.
	line     [40]byte
	lineLen  int
	lineOver bool // the line is longer than line

	// What the head read so far says about the body.
	length  int64 // Content-Length, -1 without one
	chunked bool
	stop    bool // framing the guard cannot follow

	remain int64 // body or chunk bytes (with the chunk's CRLF) left to skip
	digits int   // hex digits of the chunk size read so far
	inExt  bool  // in a chunk extension, after the size

	starts int // heads begun on the connection: requests read whole, plus one
}

type guardState uint8

const (
	guardHead      guardState = iota // scanning a request head
	guardTrailer                     // scanning a chunked body's trailer section
	guardBody                        // skipping remain body bytes
	guardChunkSize                   // reading a chunk-size line
	guardChunkData                   // skipping remain chunk bytes
	guardOff                         // not following the framing until resync
)

// start scans the next request head. The byte before it is taken as a CR: a read may
// begin inside a CRLF split by the previous one.
func (g *headGuard) start() {
	*g = headGuard{state: guardHead, prev: '\r', length: -1, starts: g.starts + 1}
}

// resync resumes scanning with the next request once the server handled one, if the
// guard had stopped following the framing.
func (g *headGuard) resync() {
	if g.state == guardOff {
		g.start()
	}
}

// scan returns the index of the first bare LF in b that ends a line of a request head
// or trailer section, or -1.
func (g *headGuard) scan(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch g.state {
		case guardOff:
			return -1
		case guardBody, guardChunkData:
			n := int64(len(b) - i)
			if n > g.remain {
				n = g.remain
			}
			g.remain -= n
			i += int(n) - 1
			if g.remain == 0 {
				if g.state == guardBody {
					g.start()
				} else {
					g.chunkLine()
				}
			}
		case guardChunkSize:
			g.chunkSize(b[i])
		case guardHead, guardTrailer:
			n, bare := g.scanHead(b[i:])
			if bare {
				g.state = guardOff
				return i + n
			}
			i += n - 1
		}
	}
	return -1
}

// scanHead scans the bytes of a head or trailer section at the start of b, a line at a
// time, until the section ends or b does. It returns how many bytes it took, or the
// index of a bare LF.
func (g *headGuard) scanHead(b []byte) (int, bool) {
	for pos := 0; ; {
		end := bytes.IndexByte(b[pos:], '\n')
		seg := b[pos:]
		if end >= 0 {
			seg = seg[:end]
		}
		if len(seg) > 0 {
			if !onlyCR(seg) {
				g.crlfs = 0
			}
			n := copy(g.line[g.lineLen:], seg)
			g.lineLen += n
			g.lineOver = g.lineOver || n < len(seg)
			g.prev = seg[len(seg)-1]
		}
		if end < 0 {
			return len(b), false
		}
		if g.prev != '\r' {
			return pos + end, true
		}
		pos += end + 1
		g.prev = '\n'
		g.crlfs++
		if g.crlfs == 2 {
			g.endHead()
			return pos, false
		}
		if g.state == guardHead {
			g.headerLine()
		}
		g.lineLen, g.lineOver = 0, false
	}
}

// onlyCR reports whether b holds nothing but CRs (the end of a line split by a read).
func onlyCR(b []byte) bool {
	for _, c := range b {
		if c != '\r' {
			return false
		}
	}
	return true
}

var (
	headerContentLength    = []byte("content-length:")
	headerTransferEncoding = []byte("transfer-encoding:")
	headerUpgrade          = []byte("upgrade:")
)

// headerLine reads the framing headers from the line just ended.
func (g *headGuard) headerLine() {
	line := bytes.TrimRight(g.line[:g.lineLen], "\r")
	if len(line) == 0 {
		return
	}
	if c := line[0] | 0x20; c != 'c' && c != 't' && c != 'u' {
		return // not one of the framing headers: most lines end here
	}
	over := g.lineOver
	switch {
	case hasPrefixFold(line, headerContentLength):
		value := bytes.Trim(line[len(headerContentLength):], " \t")
		n, ok := parseLength(value)
		if !ok || over || g.length >= 0 {
			g.stop = true // fasthttp refuses the request
			return
		}
		g.length = n
	case hasPrefixFold(line, headerTransferEncoding):
		value := bytes.Trim(line[len(headerTransferEncoding):], " \t")
		switch {
		case over:
			g.stop = true
		case bytes.EqualFold(value, []byte("chunked")):
			g.chunked = true
		case !bytes.EqualFold(value, []byte("identity")):
			g.stop = true // fasthttp refuses the request
		}
	case hasPrefixFold(line, headerUpgrade):
		g.stop = true // the next bytes may speak another protocol
	}
}

// endHead moves on from a head or trailer section just ended to what follows it.
func (g *headGuard) endHead() {
	switch {
	case g.state == guardTrailer:
		g.start()
	case g.stop:
		g.state = guardOff
	case g.chunked: // chunked wins over Content-Length, as in fasthttp
		g.chunkLine()
	case g.length > 0:
		g.state, g.remain = guardBody, g.length
	default:
		g.start()
	}
}

// chunkLine reads the next chunk-size line.
func (g *headGuard) chunkLine() {
	g.state, g.prev, g.remain, g.digits, g.inExt = guardChunkSize, 0, 0, 0, false
}

// chunkSize reads one byte of a chunk-size line: hex digits, an optional extension,
// CRLF. What fasthttp would refuse stops the guard.
func (g *headGuard) chunkSize(ch byte) {
	switch {
	case ch == '\n':
		if g.prev != '\r' || g.digits == 0 {
			g.state = guardOff
			return
		}
		if g.remain == 0 { // the last chunk: its trailer section follows
			g.state, g.crlfs, g.prev = guardTrailer, 1, '\n'
			return
		}
		g.state, g.remain = guardChunkData, g.remain+2 // the data and its CRLF
		return
	case ch == '\r' || g.inExt:
	case !g.inExt && g.prev != '\r' && hexDigit(ch) >= 0:
		if g.digits == 15 {
			g.state = guardOff
			return
		}
		g.remain = g.remain<<4 | int64(hexDigit(ch))
		g.digits++
	case ch == ';' || ch == ' ' || ch == '\t':
		g.inExt = true
	default:
		g.state = guardOff
		return
	}
	g.prev = ch
}

func hexDigit(ch byte) int {
	switch {
	case '0' <= ch && ch <= '9':
		return int(ch - '0')
	case 'a' <= ch && ch <= 'f':
		return int(ch-'a') + 10
	case 'A' <= ch && ch <= 'F':
		return int(ch-'A') + 10
	}
	return -1
}

func hasPrefixFold(s, prefix []byte) bool {
	return len(s) >= len(prefix) && bytes.EqualFold(s[:len(prefix)], prefix)
}

// parseLength reads a Content-Length value: decimal digits only.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range v {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}
