package middleware

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// KeptCompression is the project's compression for a body that is kept in memory and
// answered many times as it is, such as a cached static file. Instead of Finish
// compressing it for every request, the keeper asks Choose what a request gets,
// compresses the body once per coding with Encode, keeps the result, and answers
// with SendEncoded. Such answers leave through a pipeline that does not compress
// again (Shared.Precompressed). A nil *KeptCompression compresses nothing.
type KeptCompression struct{ c *compressor }

// KeptCompression returns the project-wide compression for kept bodies, nil when
// compression is off.
func (s *Shared) KeptCompression() *KeptCompression {
	if s.comp == nil {
		return nil
	}
	return &KeptCompression{c: s.comp}
}

// Choose decides, as Finish would for the same body, the coding a whole body of this
// type and size is sent in to this request (identity, the zero Coding: as it is), and
// sets Vary when the answer depends on Accept-Encoding.
func (k *KeptCompression) Choose(ctx *fasthttp.RequestCtx, contentType []byte, size int) Coding {
	if k == nil || !k.c.candidate(contentType, size) {
		return encIdentity
	}
	addVary(&ctx.Response.Header, hAcceptEncoding)
	return k.c.negotiate(ctx.Request.Header.PeekCanonical(hAcceptEncoding))
}

// Encode returns body in coding, in a slice of its own for the caller to keep, or nil
// when it would not be smaller: Finish sends such a body as it is, and so should the
// caller.
func (k *KeptCompression) Encode(coding Coding, body []byte) []byte {
	w := k.c.bufPool.Get().(*sliceWriter)
	w.b = w.b[:0]
	k.c.encode(coding, w, body)
	var out []byte
	if len(w.b) < len(body) {
		out = bytes.Clone(w.b)
	}
	if cap(w.b) <= maxPooledBuffer {
		k.c.bufPool.Put(w)
	}
	return out
}

// SendEncoded answers with encoded, the body in coding as Encode returned it (never
// written to afterwards), and weakETag, the body's ETag made weak (WeakETag): the bytes
// sent are not the ones the strong ETag names.
func SendEncoded(ctx *fasthttp.RequestCtx, coding Coding, encoded, weakETag []byte) {
	ctx.Response.SetBodyRaw(encoded)
	ctx.Response.Header.SetContentEncoding(encodingNames[coding])
	ctx.Response.Header.SetCanonical(hETag, weakETag)
}

// WeakETag is etag as a compressed answer carries it: weak, as Finish makes it.
func WeakETag(etag []byte) []byte {
	if bytes.HasPrefix(etag, []byte("W/")) {
		return etag
	}
	return append([]byte("W/"), etag...)
}
