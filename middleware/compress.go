package middleware

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fasthttp"
)

// Coding is a content coding a response can be sent in; the zero Coding is identity
// (the body as it is).
type Coding uint8

const (
	encIdentity Coding = iota
	encGzip
	encBrotli
	encZstd
)

// Codings is the number of Codings, identity included: an array of that length can
// hold something per coding.
const Codings = int(encZstd) + 1

var encodingNames = [...]string{encGzip: "gzip", encBrotli: "br", encZstd: "zstd"}

// maxPooledBuffer keeps one huge response from pinning its buffer forever.
const maxPooledBuffer = 1 << 20

type compressor struct {
	backend      Coding
	minSize      int
	gzipFallback bool

	gzipPool   sync.Pool // *gzip.Writer at the configured level
	brotliPool sync.Pool // *brotli.Writer with the configured quality/window
	zstd       *zstd.Encoder
	bufPool    sync.Pool // *sliceWriter
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func newCompressor(c *CompressionConfig) (*compressor, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("compression: "+format, args...)
	}
	cp := &compressor{minSize: c.MinimumSize, gzipFallback: c.GzipFallback}
	switch c.Backend {
	case "gzip":
		cp.backend = encGzip
	case "brotli":
		cp.backend = encBrotli
	case "zstd":
		cp.backend = encZstd
	default:
		return nil, bad("unknown backend %q; use \"gzip\", \"brotli\" or \"zstd\"", c.Backend)
	}
	if c.MinimumSize < 0 {
		return nil, bad("minimum_size %d is negative; use a byte count >= 0", c.MinimumSize)
	}
	if c.GzipCompressLevel < 1 || c.GzipCompressLevel > 9 {
		return nil, bad("gzip_compress_level %d must be 1..9", c.GzipCompressLevel)
	}
	if c.BrotliQuality < 0 || c.BrotliQuality > 11 {
		return nil, bad("brotli_quality %d must be 0..11", c.BrotliQuality)
	}
	if c.BrotliLgwin < 10 || c.BrotliLgwin > 24 {
		return nil, bad("brotli_lgwin %d must be 10..24", c.BrotliLgwin)
	}
	if c.ZstdLevel < 1 || c.ZstdLevel > 22 {
		return nil, bad("zstd_level %d must be 1..22", c.ZstdLevel)
	}
	level := c.GzipCompressLevel
	cp.gzipPool.New = func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, level) // level validated above
		return w
	}
	bopts := brotli.WriterOptions{Quality: c.BrotliQuality, LGWin: c.BrotliLgwin}
	cp.brotliPool.New = func() any { return brotli.NewWriterOptions(io.Discard, bopts) }
	cp.bufPool.New = func() any { return new(sliceWriter) }
	if cp.backend == encZstd {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(c.ZstdLevel)))
		if err != nil {
			return nil, bad("zstd: %v", err)
		}
		cp.zstd = enc
	}
	return cp, nil
}

// compress encodes a finished buffered response in place when it is worth it
// and the client accepts it.
func (c *compressor) compress(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	if resp.IsBodyStream() || len(resp.Header.ContentEncoding()) > 0 {
		return
	}
	body := resp.Body()
	if !c.candidate(resp.Header.ContentType(), len(body)) {
		return
	}
	// The representation depends on Accept-Encoding whether or not this
	// client gets it compressed, so caches must key on it either way.
	addVary(&resp.Header, hAcceptEncoding)
	enc := c.negotiate(ctx.Request.Header.PeekCanonical(hAcceptEncoding))
	if enc == encIdentity {
		return
	}
	w := c.bufPool.Get().(*sliceWriter)
	w.b = w.b[:0]
	c.encode(enc, w, body)
	if len(w.b) < len(body) {
		resp.SetBody(w.b)
		resp.Header.SetContentEncoding(encodingNames[enc])
		weakenETag(&resp.Header)
	}
	if cap(w.b) <= maxPooledBuffer {
		c.bufPool.Put(w)
	}
}

// candidate reports whether a whole body of this type and size is compressed for the
// clients that accept compression: a textual type, and not smaller than minimum_size.
func (c *compressor) candidate(contentType []byte, size int) bool {
	return size >= c.minSize && size > 0 && compressibleType(contentType)
}

// maxCompressedFile is the largest file compressed on the fly: a file is read into
// memory and compressed on every request, which is cheap for the CSS, JavaScript,
// JSON and text files this is for, and not worth it for large downloads.
const maxCompressedFile = 1 << 20

// compressFile compresses a file response that serveFile set up as the whole file
// (status 200; a range or a HEAD response stays as it is) when it is text-like by
// Content-Type, between minimum_size and maxCompressedFile bytes, and the client
// accepts an encoding. The ETag becomes weak: the bytes differ from the file's.
func (c *compressor) compressFile(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	f, ok := resp.BodyStream().(*os.File)
	if !ok || resp.StatusCode() != fasthttp.StatusOK || len(resp.Header.ContentEncoding()) > 0 {
		return
	}
	size := resp.Header.ContentLength()
	if size > maxCompressedFile || !c.candidate(resp.Header.ContentType(), size) {
		return
	}
	addVary(&resp.Header, hAcceptEncoding)
	enc := c.negotiate(ctx.Request.Header.PeekCanonical(hAcceptEncoding))
	if enc == encIdentity {
		return
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(f, body); err != nil {
		// Shorter than when it was opened: leave it to the stream, as without compression.
		_, _ = f.Seek(0, io.SeekStart)
		return
	}
	w := c.bufPool.Get().(*sliceWriter)
	w.b = w.b[:0]
	c.encode(enc, w, body)
	if len(w.b) < len(body) {
		resp.SetBody(w.b) // closes the file
		resp.Header.SetContentEncoding(encodingNames[enc])
		weakenETag(&resp.Header)
	} else {
		resp.SetBody(body)
	}
	if cap(w.b) <= maxPooledBuffer {
		c.bufPool.Put(w)
	}
}

// weakenETag marks a strong ETag weak once the body is compressed: the bytes sent are
// no longer the ones it names, though they mean the same (RFC 9110 section 8.8.1), as
// Django's GZipMiddleware does.
func weakenETag(h *fasthttp.ResponseHeader) {
	if etag := h.Peek(fasthttp.HeaderETag); len(etag) > 0 && !bytes.HasPrefix(etag, []byte("W/")) {
		h.SetBytesV(fasthttp.HeaderETag, WeakETag(etag))
	}
}

func (c *compressor) encode(enc Coding, w *sliceWriter, body []byte) {
	switch enc {
	case encGzip:
		gz := c.gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		_, _ = gz.Write(body) // writes to a slice cannot fail
		_ = gz.Close()
		gz.Reset(io.Discard) // drop the reference to w before pooling
		c.gzipPool.Put(gz)
	case encBrotli:
		br := c.brotliPool.Get().(*brotli.Writer)
		br.Reset(w)
		_, _ = br.Write(body)
		_ = br.Close()
		br.Reset(io.Discard)
		c.brotliPool.Put(br)
	case encZstd:
		w.b = c.zstd.EncodeAll(body, w.b)
	}
}

// negotiate picks, by the client's q-values, the configured encoding or (when falling
// back is allowed) gzip; identity when the client accepts neither.
func (c *compressor) negotiate(accept []byte) Coding {
	if len(accept) == 0 {
		return encIdentity
	}
	a := parseAcceptEncoding(accept)
	best, bestQ := encIdentity, 0
	if q := a.weight(c.backend); q > 0 {
		best, bestQ = c.backend, q
	}
	// gzip wins only when the client prefers it: on a tie the configured backend stays.
	if c.gzipFallback && c.backend != encGzip {
		if q := a.weight(encGzip); q > bestQ {
			best = encGzip
		}
	}
	return best
}

// acceptance records, per coding, whether Accept-Encoding listed it and its weight
// in thousandths (q=0.5 is 500); index 0 stands for "*".
type acceptance struct {
	listed [4]bool
	q      [4]int
}

// weight is e's q in thousandths; 0 means not acceptable.
func (a acceptance) weight(e Coding) int {
	if a.listed[e] {
		return a.q[e]
	}
	if a.listed[0] {
		return a.q[0]
	}
	return 0
}

func parseAcceptEncoding(h []byte) acceptance {
	var a acceptance
	for len(h) > 0 {
		var item []byte
		item, h, _ = bytes.Cut(h, []byte(","))
		coding, params, _ := bytes.Cut(item, []byte(";"))
		coding = bytes.TrimSpace(coding)
		var e Coding
		switch {
		case string(coding) == "*":
			e = 0
		case bytes.EqualFold(coding, []byte("gzip")), bytes.EqualFold(coding, []byte("x-gzip")):
			e = encGzip
		case bytes.EqualFold(coding, []byte("br")):
			e = encBrotli
		case bytes.EqualFold(coding, []byte("zstd")):
			e = encZstd
		default:
			continue
		}
		a.listed[e] = true
		a.q[e] = qValue(params)
	}
	return a
}

// qValue is the q parameter in thousandths (RFC 9110 allows three decimals); a
// missing or malformed q counts as 1.
func qValue(params []byte) int {
	for len(params) > 0 {
		var p []byte
		p, params, _ = bytes.Cut(params, []byte(";"))
		k, v, _ := bytes.Cut(bytes.TrimSpace(p), []byte("="))
		if !bytes.EqualFold(bytes.TrimSpace(k), []byte("q")) {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 || (v[0] != '0' && v[0] != '1') {
			return 1000
		}
		whole := int(v[0]-'0') * 1000
		frac, scale := 0, 100
		if len(v) > 1 {
			if v[1] != '.' {
				return 1000
			}
			for _, c := range v[2:] {
				if c < '0' || c > '9' || scale == 0 {
					return 1000
				}
				frac += int(c-'0') * scale
				scale /= 10
			}
		}
		return min(whole+frac, 1000)
	}
	return 1000
}

// compressibleType accepts textual media types; already-compressed formats
// (images, archives, fonts in woff) gain nothing, and event streams must
// reach the client unbuffered.
func compressibleType(ct []byte) bool {
	mt, _, _ := bytes.Cut(ct, []byte(";"))
	mt = bytes.TrimSpace(mt)
	var lower [128]byte
	if len(mt) > len(lower) {
		return false
	}
	for i, c := range mt {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	mt = lower[:len(mt)]
	switch {
	case string(mt) == "text/event-stream":
		return false
	case bytes.HasPrefix(mt, []byte("text/")),
		bytes.HasSuffix(mt, []byte("+json")),
		bytes.HasSuffix(mt, []byte("+xml")):
		return true
	}
	switch string(mt) {
	case "application/json", "application/javascript", "application/x-javascript",
		"application/ecmascript", "application/xml", "application/x-ndjson",
		"application/graphql", "application/x-www-form-urlencoded",
		"application/wasm", "application/vnd.ms-fontobject",
		"font/ttf", "font/otf", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon":
		return true
	}
	return false
}

// AcceptsGzip reports whether an Accept-Encoding value allows gzip (listed, or "*",
// with a q above 0), for responses compressed ahead of time.
func AcceptsGzip(accept []byte) bool {
	return parseAcceptEncoding(accept).weight(encGzip) > 0
}
