package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
)

// staticServer serves two directories: root (STATIC_ROOT) first, then extra
// (a STATICFILES_DIRS entry with the "vendor" prefix), next to a route under the prefix.
func staticServer(t *testing.T) (*Server, string) {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	extra := filepath.Join(base, "extra")
	secret := filepath.Join(base, "secret.txt")
	for name, content := range map[string]string{
		filepath.Join(root, "css", "site.css"):   "body{}",
		filepath.Join(root, "app.js"):            "let a=1;" + strings.Repeat("x", 100),
		filepath.Join(root, "dup.txt"):           "from root",
		filepath.Join(extra, "dup.txt"):          "from extra",
		filepath.Join(extra, "lib", "v.txt"):     "vendored",
		filepath.Join(root, "sub", "index.html"): "<p>",
		secret:                                   "do not serve",
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(secret, filepath.Join(root, "escape.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "dup.txt"), filepath.Join(root, "inside.txt")); err != nil {
		t.Fatal(err)
	}
	table := newTable(RouteSpec{Method: "GET", Path: "/static/dynamic", HandlerID: 0, Name: "dynamic"})
	table.Static = &StaticConfig{
		URLPrefix: "/static",
		Directories: []StaticDir{
			{Root: root},
			{Prefix: "vendor", Root: extra},
			{Root: filepath.Join(base, "missing")},
		},
		CSPHeader: "default-src 'self'; upgrade-insecure-requests",
	}
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "from python", "content-type", "text/plain")})
	s, _ := newTestServer(t, table, py)
	return s, root
}

func TestStaticFiles(t *testing.T) {
	s, _ := staticServer(t)
	tests := []struct {
		name, method, uri string
		status            int
		body, ctype       string
	}{
		{"file with MIME type", "GET", "/static/css/site.css", 200, "body{}", "text/css; charset=utf-8"},
		{"first directory wins", "GET", "/static/dup.txt", 200, "from root", "text/plain; charset=utf-8"},
		{"prefixed directory", "GET", "/static/vendor/dup.txt", 200, "from extra", "text/plain; charset=utf-8"},
		{"prefixed nested", "GET", "/static/vendor/lib/v.txt", 200, "vendored", "text/plain; charset=utf-8"},
		{"percent-encoded name", "GET", "/static/css/site%2Ecss", 200, "body{}", "text/css; charset=utf-8"},
		{"symlink inside the root", "GET", "/static/inside.txt", 200, "from root", "text/plain; charset=utf-8"},
		{"head has headers only", "HEAD", "/static/css/site.css", 200, "", "text/css; charset=utf-8"},
		{"routes win under the prefix", "GET", "/static/dynamic", 200, "from python", "text/plain"},
		{"missing file", "GET", "/static/nope.css", 404, `{"detail":"Static file not found: nope.css"}`, "application/json"},
		{"directory", "GET", "/static/sub", 404, `{"detail":"Static file not found: sub"}`, "application/json"},
		{"directory with slash", "GET", "/static/sub/", 404, `{"detail":"Static file not found: sub/"}`, "application/json"},
		{"escaping symlink", "GET", "/static/escape.txt", 404, `{"detail":"Static file not found: escape.txt"}`, "application/json"},
		{"dot-dot", "GET", "/static/../secret.txt", 400, `{"detail":"Invalid static file path"}`, "application/json"},
		{"encoded dot-dot", "GET", "/static/css/%2e%2e/%2e%2e/secret.txt", 400, `{"detail":"Invalid static file path"}`, "application/json"},
		{"absolute", "GET", "/static//etc/passwd", 400, `{"detail":"Invalid static file path"}`, "application/json"},
		{"backslash", "GET", "/static/css%5C..%5Csecret.txt", 400, `{"detail":"Invalid static file path"}`, "application/json"},
		{"prefix alone", "GET", "/static/", 400, `{"detail":"Invalid static file path"}`, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newCtx(tc.method, tc.uri)
			s.handle(ctx)
			r := send(t, ctx)
			if r.status != tc.status || r.body != tc.body || r.get("Content-Type") != tc.ctype {
				t.Fatalf("got %d %q (%s), want %d %q (%s)", r.status, r.body, r.get("Content-Type"), tc.status, tc.body, tc.ctype)
			}
			if tc.status == 200 && tc.body != "from python" {
				if r.get("Content-Security-Policy") != "default-src 'self'; upgrade-insecure-requests" {
					t.Fatalf("CSP = %q", r.get("Content-Security-Policy"))
				}
				if r.get("ETag") == "" || r.get("Last-Modified") == "" {
					t.Fatalf("no validators: %s", r.raw)
				}
			}
		})
	}
}

func TestStaticConditionalAndRange(t *testing.T) {
	s, _ := staticServer(t)
	ctx := newCtx("GET", "/static/app.js")
	s.handle(ctx)
	first := send(t, ctx)
	etag := first.get("ETag")

	ctx = newCtx("GET", "/static/app.js", "If-None-Match", etag)
	s.handle(ctx)
	if r := send(t, ctx); r.status != fasthttp.StatusNotModified || r.body != "" {
		t.Fatalf("If-None-Match: %d %q", r.status, r.body)
	}

	ctx = newCtx("GET", "/static/app.js", "Range", "bytes=0-7")
	s.handle(ctx)
	r := send(t, ctx)
	if r.status != fasthttp.StatusPartialContent || r.body != "let a=1;" || !strings.HasPrefix(r.get("Content-Range"), "bytes 0-7/") {
		t.Fatalf("Range: %d %q %q", r.status, r.body, r.get("Content-Range"))
	}
}

func TestStaticOnlyForGetAndHead(t *testing.T) {
	s, _ := staticServer(t)
	ctx := newCtx("POST", "/static/css/site.css")
	s.handle(ctx)
	if r := send(t, ctx); r.status != fasthttp.StatusNotFound || r.body != "Not Found" {
		t.Fatalf("POST: %d %q", r.status, r.body)
	}
}

func TestStaticOff(t *testing.T) {
	for _, c := range []*StaticConfig{nil, {URLPrefix: "/static"}, {Directories: []StaticDir{{Root: "/"}}}} {
		sf, err := newStaticFiles(c, nil)
		if err != nil || sf != nil {
			t.Fatalf("%+v: %v %v", c, sf, err)
		}
	}
	if _, err := newStaticFiles(&StaticConfig{URLPrefix: "/", Directories: []StaticDir{{Root: "/"}}}, nil); err == nil {
		t.Fatal("a root prefix must be refused")
	}
}

func TestStaticFilesAreCompressedLikeFileResponses(t *testing.T) {
	s, root := staticServer(t)
	big := strings.Repeat("body { color: red }\n", 200)
	if err := os.WriteFile(filepath.Join(root, "big.css"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	s.shared.Close()
	table := newTable()
	table.Static = &StaticConfig{URLPrefix: "/static", Directories: []StaticDir{{Root: root}}}
	table.Global.Compression = &middleware.CompressionConfig{Backend: "gzip", MinimumSize: 500, GzipCompressLevel: 6,
		BrotliQuality: 5, BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: true}
	s, _ = newTestServer(t, table, newFake(nil))
	ctx := newCtx("GET", "/static/big.css", "Accept-Encoding", "gzip")
	s.handle(ctx)
	r := send(t, ctx)
	if r.status != 200 || r.get("Content-Encoding") != "gzip" || !strings.HasPrefix(r.get("ETag"), "W/") {
		t.Fatalf("got %d encoding %q etag %q", r.status, r.get("Content-Encoding"), r.get("ETag"))
	}
	if len(r.body) >= len(big) {
		t.Fatalf("not smaller: %d >= %d", len(r.body), len(big))
	}
}

// get serves one GET of uri (with headers) and returns what goes out.
func get(t *testing.T, s *Server, uri string, headers ...string) sentResponse {
	t.Helper()
	ctx := newCtx("GET", uri, headers...)
	s.handle(ctx)
	return send(t, ctx)
}

func TestStaticChangesAreSeenWithinARecheck(t *testing.T) {
	s, root := staticServer(t)
	name := filepath.Join(root, "css", "site.css")
	first := get(t, s, "/static/css/site.css")
	if first.body != "body{}" {
		t.Fatalf("first body %q", first.body)
	}

	// Replaced by a rename, with the same size and mtime: only the inode differs.
	info, _ := os.Stat(name)
	other := filepath.Join(root, "css", "next.tmp")
	if err := os.WriteFile(other, []byte("p{m:0}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(other, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(staticRecheck + 50*time.Millisecond)
	if r := get(t, s, "/static/css/site.css"); r.body != "p{m:0}" {
		t.Fatalf("after a rename: %q", r.body)
	}

	if err := os.WriteFile(name, []byte("body{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(staticRecheck + 50*time.Millisecond)
	r := get(t, s, "/static/css/site.css")
	if r.body != "body{color:red}" || r.get("ETag") == first.get("ETag") {
		t.Fatalf("after an edit: %q, ETag %s (was %s)", r.body, r.get("ETag"), first.get("ETag"))
	}

	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(staticRecheck + 50*time.Millisecond)
	if r := get(t, s, "/static/css/site.css"); r.status != fasthttp.StatusNotFound {
		t.Fatalf("after removal: %d %q", r.status, r.body)
	}
	if n := len(s.static.cache.entries); n != 0 {
		t.Fatalf("%d entries left after the only cached file went", n)
	}
}

func TestStaticCacheKeepsOneEntryPerFile(t *testing.T) {
	s, _ := staticServer(t)
	for _, uri := range []string{"/static/css/site.css", "/static/css/site%2Ecss", "/static/css//site.css",
		"/static/./css/site.css", "/static/css/./site.css"} {
		if r := get(t, s, uri); r.status != 200 || r.body != "body{}" {
			t.Fatalf("%s: %d %q", uri, r.status, r.body)
		}
	}
	if n := len(s.static.cache.entries); n != 1 || s.static.cache.size != int64(len("body{}")) {
		t.Fatalf("%d entries of %d bytes, want the canonical spelling only", n, s.static.cache.size)
	}
}

func TestStaticLargeFilesAreSentFromDisk(t *testing.T) {
	s, root := staticServer(t)
	big := strings.Repeat("0123456789abcdef", maxCachedStaticFile/16+1)
	if err := os.WriteFile(filepath.Join(root, "big.txt"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	r := get(t, s, "/static/big.txt")
	if r.status != 200 || r.body != big || r.get("Content-Type") != "text/plain; charset=utf-8" ||
		r.get("Content-Security-Policy") == "" || r.get("Accept-Ranges") != "bytes" {
		t.Fatalf("got %d, %d bytes, headers:\n%s", r.status, len(r.body), r.raw)
	}
	if r := get(t, s, "/static/big.txt", "If-None-Match", r.get("ETag")); r.status != fasthttp.StatusNotModified {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	if r := get(t, s, "/static/big.txt", "Range", "bytes=16-31"); r.status != 206 || r.body != "0123456789abcdef" {
		t.Fatalf("Range: %d %q", r.status, r.body)
	}
	if _, ok := s.static.cache.entries["big.txt"]; ok {
		t.Fatal("a file above maxCachedStaticFile was cached")
	}
}

func TestStaticCachedAnswers(t *testing.T) {
	s, _ := staticServer(t)
	first := get(t, s, "/static/app.js")
	if _, ok := s.static.cache.entries["app.js"]; !ok {
		t.Fatal("app.js was not cached")
	}
	full := "let a=1;" + strings.Repeat("x", 100)
	for _, tc := range []struct {
		name, method string
		headers      []string
		status       int
		body         string
		check        map[string]string
	}{
		{"whole", "GET", nil, 200, full, map[string]string{"Content-Length": "108", "Accept-Ranges": "bytes",
			"Content-Type": "text/javascript; charset=utf-8", "Last-Modified": first.get("Last-Modified")}},
		{"head", "HEAD", nil, 200, "", map[string]string{"Content-Length": "108", "ETag": first.get("ETag")}},
		{"if-none-match", "GET", []string{"If-None-Match", first.get("ETag")}, 304, "", map[string]string{"ETag": first.get("ETag")}},
		{"if-modified-since", "GET", []string{"If-Modified-Since", first.get("Last-Modified")}, 304, "", nil},
		{"if-match other", "GET", []string{"If-Match", `"other"`}, 412, "Precondition Failed", nil},
		{"range", "GET", []string{"Range", "bytes=-3"}, 206, "xxx", map[string]string{"Content-Range": "bytes 105-107/108"}},
		{"range past the end", "GET", []string{"Range", "bytes=500-"}, 416, "Range Not Satisfiable",
			map[string]string{"Content-Range": "bytes */108"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newCtx(tc.method, "/static/app.js", tc.headers...)
			s.handle(ctx)
			r := send(t, ctx)
			if r.status != tc.status || r.body != tc.body {
				t.Fatalf("got %d %q, want %d %q", r.status, r.body, tc.status, tc.body)
			}
			for k, v := range tc.check {
				if r.get(k) != v {
					t.Fatalf("%s = %q, want %q\n%s", k, r.get(k), v, r.raw)
				}
			}
		})
	}
}

func TestStaticCachedFileAllocatesNothing(t *testing.T) {
	s, _ := staticServer(t)
	ctx := newCtx("GET", "/static/css/site.css")
	s.handle(ctx)
	if n := testing.AllocsPerRun(100, func() {
		ctx.Response.Reset()
		s.handle(ctx)
	}); n != 0 {
		t.Fatalf("%v allocations per cached file", n)
	}
	if string(ctx.Response.Body()) != "body{}" {
		t.Fatalf("body %q", ctx.Response.Body())
	}
}
