package server

import (
	"bytes"
	"io"
	"os"
	"path"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
)

// Static files are small and asked for again and again (a page's CSS and scripts),
// so their bytes and headers are kept in memory: a request for one costs no system
// call but the write. Each cached file is looked up on disk again at most once per
// staticRecheck, so an edited, replaced or removed file is served as it is now within
// that time. Larger files, and files beyond the cache's budget, are sent from disk.
//
// A cached file answered compressed is compressed once per coding, by the first
// request that gets that coding, and the result is kept with the file's entry (within
// the same budget) until the file changes: browsers always accept compression, and
// compressing a stylesheet costs far more than sending it.
const (
	maxCachedStaticFile = 512 << 10
	maxCachedStatic     = 32 << 20 // bytes of all cached files and their variants together
	staticRecheck       = time.Second
)

// staticCache maps a decoded path below the static prefix to its cached file.
type staticCache struct {
	mu      sync.RWMutex
	entries map[string]*staticEntry
	size    int64 // bytes of all bodies and kept variants, under mu
	budget  int64 // the most size may reach: maxCachedStatic
	// compressions counts the variants compressed, kept or not, which shows whether
	// kept ones are used.
	compressions atomic.Int64
}

// staticEntry is one file as it was when last checked. Only checked, refreshing and
// the variants change after it is made; a file that changed gets a new entry.
type staticEntry struct {
	rel          string      // its key in the cache
	file         string      // the resolved path find returned
	info         os.FileInfo // of file when it was read
	body         []byte
	contentType  []byte
	lastModified []byte
	etag         []byte
	weakETag     []byte // etag as compressed answers carry it
	validators   validators
	checked      atomic.Int64 // staticClock reading of the last look on disk
	refreshing   atomic.Bool  // a request is looking now; the others use the entry as it is
	// variants holds the body per coding once compressed and kept; nil until then.
	variants [middleware.Codings]atomic.Pointer[staticVariant]
	kept     int64 // bytes of the kept variants, under the cache's mu
}

// staticVariant is a cached file's body in one coding, nil when that coding does not
// make it smaller (it is then sent as it is, as Finish would send it).
type staticVariant struct{ body []byte }

// staticEpoch makes staticClock monotonic: wall-clock jumps do not delay a recheck.
var staticEpoch = time.Now()

func staticClock() int64 { return int64(time.Since(staticEpoch)) }

// lookup returns the entry for rel, checked on disk within staticRecheck, or nil when
// rel is not cached (or is no longer there).
func (sf *staticFiles) lookup(rel []byte) *staticEntry {
	c := &sf.cache
	c.mu.RLock()
	e := c.entries[string(rel)]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	if staticClock()-e.checked.Load() < int64(staticRecheck) || !e.refreshing.CompareAndSwap(false, true) {
		return e
	}
	defer e.refreshing.Store(false)
	return sf.recheck(string(rel), e)
}

// recheck looks rel up on disk again and keeps e when it still names the same,
// unchanged file; otherwise it caches the file now found, if any.
func (sf *staticFiles) recheck(rel string, e *staticEntry) *staticEntry {
	file, info, err := sf.find(rel)
	if err == nil && file == e.file && os.SameFile(info, e.info) &&
		info.Size() == e.info.Size() && info.ModTime().Equal(e.info.ModTime()) {
		e.checked.Store(staticClock())
		return e
	}
	sf.cache.drop(rel, e)
	if err != nil {
		return nil
	}
	return sf.load(rel, file, info)
}

// load reads file (found for rel, with info) into a new entry and caches it. It
// returns nil when the file is not to be cached: too large, over the budget, changed
// while read, or a path spelled other than in its one canonical form (so that
// "a//b.css" or "a/./b.css" cannot fill the cache with copies of one file).
func (sf *staticFiles) load(rel, file string, info os.FileInfo) *staticEntry {
	size := info.Size()
	if size > maxCachedStaticFile || path.Clean(rel) != rel || !sf.cache.reserve(size) {
		return nil
	}
	body, opened, ok := readWhole(file, size)
	if !ok || !os.SameFile(opened, info) || !opened.ModTime().Equal(info.ModTime()) {
		sf.cache.release(size)
		return nil
	}
	lastModified, etag := fileValidators(info)
	e := &staticEntry{rel: rel, file: file, info: info, body: body, contentType: []byte(staticContentType(file)),
		lastModified: lastModified, etag: etag, weakETag: middleware.WeakETag(etag)}
	e.validators.etag = etag
	e.validators.modified, e.validators.hasDate = httpDate(lastModified)
	e.checked.Store(staticClock())
	sf.cache.put(rel, e)
	return e
}

// readWhole reads a regular file of the given size, reporting false when it is not
// one any more or its size changed.
func readWhole(file string, size int64) ([]byte, os.FileInfo, bool) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() != size {
		return nil, nil, false
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(f, body); err != nil {
		return nil, nil, false
	}
	return body, info, true
}

// reserve counts size bytes against the budget, reporting false when they do not fit.
func (c *staticCache) reserve(size int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+size > c.budget {
		return false
	}
	c.size += size
	return true
}

func (c *staticCache) release(size int64) {
	c.mu.Lock()
	c.size -= size
	c.mu.Unlock()
}

// put caches e for rel, replacing (and releasing) an entry two requests loaded at once.
func (c *staticCache) put(rel string, e *staticEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]*staticEntry)
	}
	if old := c.entries[rel]; old != nil {
		c.size -= int64(len(old.body)) + old.kept
	}
	c.entries[rel] = e
}

// drop forgets e, unless another request already replaced it.
func (c *staticCache) drop(rel string, e *staticEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[rel] == e {
		delete(c.entries, rel)
		c.size -= int64(len(e.body)) + e.kept
	}
}

// keep stores v as e's variant in coding, unless it does not fit the budget, e is no
// longer cached (its file changed meanwhile, and a variant kept now would never be
// released), or another request kept one first.
func (c *staticCache) keep(e *staticEntry, coding middleware.Coding, v *staticVariant) {
	c.mu.Lock()
	defer c.mu.Unlock()
	size := int64(len(v.body))
	if c.entries[e.rel] != e || c.size+size > c.budget || !e.variants[coding].CompareAndSwap(nil, v) {
		return
	}
	c.size += size
	e.kept += size
}

// sendCached answers with a cached file, as serveFile answers with one on disk, and
// returns the pipeline that finishes the answer.
func (sf *staticFiles) sendCached(ctx *fasthttp.RequestCtx, e *staticEntry) *middleware.Pipeline {
	ctx.Response.SetStatusCode(fasthttp.StatusOK)
	h := &ctx.Response.Header
	h.SetContentTypeBytes(e.contentType)
	if sf.csp != nil {
		h.SetCanonical(hContentSecurityPolicy, sf.csp)
	}
	h.SetCanonical(hLastModified, e.lastModified)
	h.SetCanonical(hETag, e.etag)
	offset, length, send := answerFile(ctx, int64(len(e.body)), e.validators)
	switch {
	case !send:
	case length == int64(len(e.body)):
		return sf.sendWhole(ctx, e)
	default:
		// A range: streamed, as from disk, so that compression leaves it alone.
		ctx.Response.SetBodyStream(bytes.NewReader(e.body[offset:offset+length]), int(length))
	}
	return sf.finish
}

// sendWhole answers with the whole cached file, in the coding the project's
// compression chooses for this request, and returns the pipeline that finishes it
// without compressing again. The entry's bytes are never written to: the response
// can send them as they are.
func (sf *staticFiles) sendWhole(ctx *fasthttp.RequestCtx, e *staticEntry) *middleware.Pipeline {
	if coding := sf.compression.Choose(ctx, e.contentType, len(e.body)); coding != 0 { // 0: identity
		if encoded := sf.variant(e, coding); encoded != nil {
			middleware.SendEncoded(ctx, coding, encoded, e.weakETag)
			return sf.finishKept
		}
	}
	ctx.Response.SetBodyRaw(e.body)
	return sf.finishKept
}

// variant returns e's body in coding, nil when that is no smaller. The first request
// that needs it compresses it and keeps it; when the budget has no room for it, every
// such request compresses it again, as for a file that is not cached.
func (sf *staticFiles) variant(e *staticEntry, coding middleware.Coding) []byte {
	if v := e.variants[coding].Load(); v != nil {
		return v.body
	}
	sf.cache.compressions.Add(1)
	v := &staticVariant{body: sf.compression.Encode(coding, e.body)}
	sf.cache.keep(e, coding, v)
	return v.body
}

var hContentSecurityPolicy = []byte("Content-Security-Policy")
