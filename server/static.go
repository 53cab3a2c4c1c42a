package server

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// StaticConfig is where static files are served from, read by Python from Django's
// STATIC_URL, STATIC_ROOT, STATICFILES_DIRS (and, with DEBUG, the staticfiles
// finders' locations) and SECURE_CSP.
type StaticConfig struct {
	// URLPrefix is STATIC_URL as a path without the trailing slash ("/static").
	URLPrefix string `msgpack:"url_prefix"`
	// Directories are searched in order; the first file found is sent.
	Directories []StaticDir `msgpack:"directories"`
	// CSPHeader, when not empty, is sent as Content-Security-Policy with every file.
	CSPHeader string `msgpack:"csp_header"`
}

// StaticDir is one directory of static files. Prefix, when set, is the part of
// the URL path (after URLPrefix) that maps to Root, as a STATICFILES_DIRS entry
// ("prefix", "/path") does.
type StaticDir struct {
	Prefix string `msgpack:"prefix"`
	Root   string `msgpack:"root"`
}

// staticFiles answers GET and HEAD under the static URL prefix from disk. It only
// runs for paths no route matched, so routes under the prefix keep working.
type staticFiles struct {
	prefix []byte // "/static/"
	dirs   []staticDir
	csp    []byte // nil: no Content-Security-Policy header
	cache  staticCache
	// compression is the project's, for cached files (nil: off); their whole answers
	// are finished by finishKept, which does not compress again, and every other
	// answer by finish, which compresses as for any response no route owns.
	compression *middleware.KeptCompression
	finish      *middleware.Pipeline
	finishKept  *middleware.Pipeline
}

type staticDir struct {
	prefix string // "" or "vendor/"
	root   string // symlinks resolved: every file sent must resolve inside it
}

var (
	errInvalidStaticPath = errors.New("invalid static file path")
	errStaticNotFound    = errors.New("static file not found")
)

func newStaticFiles(c *StaticConfig, shared *middleware.Shared) (*staticFiles, error) {
	if c == nil || c.URLPrefix == "" || len(c.Directories) == 0 {
		return nil, nil
	}
	prefix := "/" + strings.Trim(c.URLPrefix, "/") + "/"
	if prefix == "//" {
		return nil, fmt.Errorf("static files: url_prefix %q would serve every path; set STATIC_URL to e.g. \"static/\"", c.URLPrefix)
	}
	sf := &staticFiles{prefix: []byte(prefix), compression: shared.KeptCompression(),
		finish: shared.Default(), finishKept: shared.Precompressed()}
	sf.cache.budget = maxCachedStatic
	if c.CSPHeader != "" {
		sf.csp = []byte(c.CSPHeader)
	}
	for _, d := range c.Directories {
		root, err := filepath.EvalSymlinks(d.Root)
		if err != nil {
			// A directory that does not exist (yet) is skipped, as Django's finders do;
			// collectstatic may create STATIC_ROOT later, but then the server restarts.
			continue
		}
		if root, err = filepath.Abs(root); err != nil {
			return nil, fmt.Errorf("static files: %s: %w", d.Root, err)
		}
		p := strings.Trim(d.Prefix, "/")
		if p != "" {
			p += "/"
		}
		sf.dirs = append(sf.dirs, staticDir{prefix: p, root: root})
	}
	return sf, nil
}

// serve answers the request when its path is under the static prefix, reports
// whether it did, and returns the pipeline that finishes the answer.
func (sf *staticFiles) serve(ctx *fasthttp.RequestCtx, method, path []byte) (*middleware.Pipeline, bool) {
	if sf == nil || !bytes.HasPrefix(path, sf.prefix) ||
		!(bytes.Equal(method, methodGET) || bytes.Equal(method, methodHEAD)) {
		return nil, false
	}
	var buf [128]byte
	decoded := appendUnescaped(buf[:0], path[len(sf.prefix):])
	// A cached path was checked like any other when it was cached.
	if e := sf.lookup(decoded); e != nil {
		return sf.sendCached(ctx, e), true
	}
	rel, err := staticRelPath(decoded)
	if err != nil {
		middleware.WriteJSON(ctx, fasthttp.StatusBadRequest, protocol.BodyBadStaticPath)
		return sf.finish, true
	}
	file, info, err := sf.find(rel)
	if err != nil {
		middleware.WriteJSON(ctx, fasthttp.StatusNotFound, protocol.ErrorJSON("Static file not found: "+rel))
		return sf.finish, true
	}
	if e := sf.load(rel, file, info); e != nil {
		return sf.sendCached(ctx, e), true
	}
	ctx.Response.SetStatusCode(fasthttp.StatusOK)
	ctx.Response.Header.SetContentType(staticContentType(file))
	if sf.csp != nil {
		ctx.Response.Header.SetCanonical(hContentSecurityPolicy, sf.csp)
	}
	serveFile(ctx, file)
	return sf.finish, true
}

// staticContentType is the Content-Type of a static file, from its extension.
func staticContentType(file string) string {
	if ctype := mime.TypeByExtension(filepath.Ext(file)); ctype != "" {
		return ctype
	}
	return "application/octet-stream"
}

// staticRelPath checks the decoded path after the prefix and refuses anything that
// could leave a static directory: ".." segments, an absolute path, backslashes and
// NUL bytes.
func staticRelPath(decoded []byte) (string, error) {
	rel := string(decoded)
	if rel == "" || strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\\\x00") {
		return rel, errInvalidStaticPath
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == ".." {
			return rel, errInvalidStaticPath
		}
	}
	return rel, nil
}

// find returns the first regular file for rel that resolves inside its directory,
// with its FileInfo. Directories and symlinks pointing outside are not served.
func (sf *staticFiles) find(rel string) (string, os.FileInfo, error) {
	for _, d := range sf.dirs {
		name, ok := strings.CutPrefix(rel, d.prefix)
		if !ok || name == "" {
			continue
		}
		candidate := filepath.Join(d.root, filepath.FromSlash(name))
		resolved, err := filepath.EvalSymlinks(candidate)
		if err != nil || !strings.HasPrefix(resolved, d.root+string(filepath.Separator)) {
			continue
		}
		info, err := os.Stat(resolved)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		return resolved, info, nil
	}
	return "", nil, errStaticNotFound
}
