package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		sf, err := newStaticFiles(c)
		if err != nil || sf != nil {
			t.Fatalf("%+v: %v %v", c, sf, err)
		}
	}
	if _, err := newStaticFiles(&StaticConfig{URLPrefix: "/", Directories: []StaticDir{{Root: "/"}}}); err == nil {
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
