package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
)

// DocsAssets are the documentation UIs' scripts and styles, shipped in the Python
// package (django_bolt/openapi/ui) and served under URLPrefix. Every file name holds
// its UI's version, so a file never changes: clients keep it for a year.
type DocsAssets struct {
	// URLPrefix is the docs path and "/assets" ("/docs/assets").
	URLPrefix string `msgpack:"url_prefix"`
	Root      string `msgpack:"root"`
	// Files are the servable files, relative to Root with "/" separators
	// ("swagger-ui-5.18.2/swagger-ui-bundle.js"); nothing else under Root is served.
	Files []string `msgpack:"files"`
}

const immutable = "public, max-age=31536000, immutable"

var docsContentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".png": "image/png",
}

// docsAssets answers GET and HEAD for the listed files from memory, each read and
// gzip-compressed once, on its first request: compressing a 3 MB script for every
// client would cost more than sending it.
type docsAssets struct {
	prefix []byte // "/docs/assets/"
	files  map[string]*docsAsset
	finish *middleware.Pipeline // CORS; never compressed again
}

type docsAsset struct {
	file, contentType string
	once              sync.Once
	body, gzipped     []byte // gzipped is nil for binary files
	etag, gzipETag    []byte
	err               error
}

func newDocsAssets(c *DocsAssets, finish *middleware.Pipeline) (*docsAssets, error) {
	if c == nil {
		return nil, nil
	}
	prefix := "/" + strings.Trim(c.URLPrefix, "/") + "/"
	if prefix == "//" {
		return nil, fmt.Errorf("docs assets: url_prefix %q would serve every path", c.URLPrefix)
	}
	d := &docsAssets{prefix: []byte(prefix), files: make(map[string]*docsAsset, len(c.Files)), finish: finish}
	for _, name := range c.Files {
		ctype, ok := docsContentTypes[path.Ext(name)]
		if !ok || !filepath.IsLocal(filepath.FromSlash(name)) {
			return nil, fmt.Errorf("docs assets: %q is not a servable script, style or image", name)
		}
		d.files[name] = &docsAsset{file: filepath.Join(c.Root, filepath.FromSlash(name)), contentType: ctype}
	}
	return d, nil
}

// serve answers the request when its path names a listed file, and reports whether
// it did.
func (d *docsAssets) serve(ctx *fasthttp.RequestCtx, method, urlPath []byte) bool {
	if d == nil || !bytes.HasPrefix(urlPath, d.prefix) ||
		!(bytes.Equal(method, methodGET) || bytes.Equal(method, methodHEAD)) {
		return false
	}
	a := d.files[string(urlPath[len(d.prefix):])]
	if a == nil {
		return false
	}
	a.once.Do(a.load)
	if a.err != nil {
		fileError(ctx, a.err)
		return true
	}
	body, etag := a.body, a.etag
	h := &ctx.Response.Header
	if a.gzipped != nil {
		h.Set(fasthttp.HeaderVary, "Accept-Encoding")
		if middleware.AcceptsGzip(ctx.Request.Header.Peek(fasthttp.HeaderAcceptEncoding)) {
			body, etag = a.gzipped, a.gzipETag
			h.Set(fasthttp.HeaderContentEncoding, "gzip")
		}
	}
	h.SetBytesV(fasthttp.HeaderETag, etag)
	h.Set(fasthttp.HeaderCacheControl, immutable)
	if precondition(&ctx.Request.Header, validators{etag: etag}) == fasthttp.StatusNotModified {
		notModified(ctx)
		return true
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	h.SetContentType(a.contentType)
	ctx.SetBody(body)
	return true
}

func (a *docsAsset) load() {
	if a.body, a.err = os.ReadFile(a.file); a.err != nil {
		return
	}
	sum := sha256.Sum256(a.body)
	digest := hex.EncodeToString(sum[:16])
	a.etag = []byte(`"` + digest + `"`)
	if !strings.HasPrefix(a.contentType, "text/") {
		return
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	w.Write(a.body)
	w.Close()
	a.gzipped = b.Bytes()
	a.gzipETag = []byte(`"` + digest + `-gzip"`)
}
