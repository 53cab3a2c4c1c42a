package server

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"djangobolt/middleware"
)

// browserEncodings is the Accept-Encoding browsers send.
const browserEncodings = "gzip, deflate, br, zstd"

// compressedStaticServer serves files from a directory (returned) as /static/ with the
// project's compression set to backend (gzip falling back allowed, minimum_size 500).
func compressedStaticServer(t *testing.T, backend string, files map[string]string) (*Server, string) {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(root, name), content)
	}
	table := newTable()
	table.Static = &StaticConfig{URLPrefix: "/static", Directories: []StaticDir{{Root: root}}}
	table.Global.Compression = &middleware.CompressionConfig{Backend: backend, MinimumSize: 500,
		GzipCompressLevel: 6, BrotliQuality: 5, BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: true}
	s, _ := newTestServer(t, table, newFake(nil))
	return s, root
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fetched is one answer read off the connection, its body as sent (not decoded).
type fetched struct {
	status int
	header http.Header
	body   []byte
}

// fetch sends method url with headers (name, value pairs) and reads the answer. The
// transport neither asks for nor decodes compression itself.
func fetch(t *testing.T, method, url string, headers ...string) fetched {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	req.Close = true // nothing left open for the server's shutdown to wait for
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header, body}
}

// decoded is r's body decoded by its Content-Encoding.
func (r fetched) decoded(t *testing.T) string {
	t.Helper()
	var rd io.Reader
	var err error
	switch enc := r.header.Get("Content-Encoding"); enc {
	case "":
		return string(r.body)
	case "gzip":
		rd, err = gzip.NewReader(bytes.NewReader(r.body))
	case "br":
		rd = brotli.NewReader(bytes.NewReader(r.body))
	case "zstd":
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(r.body))
		if err == nil {
			defer d.Close()
			rd = d
		}
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("%s body does not decode: %v", r.header.Get("Content-Encoding"), err)
	}
	return string(out)
}

var siteCSS = strings.Repeat("body { color: #333; margin: 0 auto; }\n", 100)

func TestStaticCachedFileIsCompressedOncePerCoding(t *testing.T) {
	for backend, want := range map[string]string{"brotli": "br", "gzip": "gzip", "zstd": "zstd"} {
		t.Run(backend, func(t *testing.T) {
			s, _ := compressedStaticServer(t, backend, map[string]string{"site.css": siteCSS})
			base := "http://" + serveLoopback(t, s)
			plain := fetch(t, "GET", base+"/static/site.css")
			strong := plain.header.Get("ETag")
			if plain.header.Get("Content-Encoding") != "" || string(plain.body) != siteCSS ||
				plain.header.Get("Vary") != "Accept-Encoding" || strings.HasPrefix(strong, "W/") {
				t.Fatalf("without Accept-Encoding: %q, %d bytes, Vary %q, ETag %q",
					plain.header.Get("Content-Encoding"), len(plain.body), plain.header.Get("Vary"), strong)
			}
			var first []byte
			for i := range 3 {
				r := fetch(t, "GET", base+"/static/site.css", "Accept-Encoding", browserEncodings)
				if r.status != 200 || r.header.Get("Content-Encoding") != want || r.header.Get("Vary") != "Accept-Encoding" ||
					r.header.Get("ETag") != "W/"+strong || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) ||
					r.header.Get("Content-Type") != "text/css; charset=utf-8" || len(r.body) >= len(siteCSS) {
					t.Fatalf("request %d: %d, %d bytes, headers %v", i, r.status, len(r.body), r.header)
				}
				if r.decoded(t) != siteCSS {
					t.Fatalf("request %d: %s body does not decode to the file", i, want)
				}
				if i == 0 {
					first = r.body
				} else if !bytes.Equal(r.body, first) {
					t.Fatalf("request %d: another compressed body than the first", i)
				}
			}
			if n := s.static.cache.compressions.Load(); n != 1 {
				t.Fatalf("%d compressions for three answers in one coding, want 1", n)
			}
			if got := s.static.cache.size; got != int64(len(siteCSS)+len(first)) {
				t.Fatalf("cache holds %d bytes, want the file and its variant: %d", got, len(siteCSS)+len(first))
			}
		})
	}
}

func TestStaticCachedVariantPerCoding(t *testing.T) {
	s, _ := compressedStaticServer(t, "brotli", map[string]string{"site.css": siteCSS})
	base := "http://" + serveLoopback(t, s)
	url := base + "/static/site.css"
	for _, tc := range []struct{ accept, encoding string }{
		{"br", "br"},
		{"gzip", "gzip"}, // the fallback
		{"gzip;q=1, br;q=0.5", "gzip"},
		{"br;q=0.5, gzip;q=0.5", "br"}, // a tie keeps the backend
		{"*", "br"},
		{"identity", ""},
		{"*;q=0", ""},
		{"br;q=0, gzip;q=0", ""},
		{"deflate", ""},
		{"br", "br"},
		{"x-gzip", "gzip"},
	} {
		r := fetch(t, "GET", url, "Accept-Encoding", tc.accept)
		if r.status != 200 || r.header.Get("Content-Encoding") != tc.encoding || r.header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("Accept-Encoding %q: %d, encoding %q, Vary %q, want %q", tc.accept, r.status,
				r.header.Get("Content-Encoding"), r.header.Get("Vary"), tc.encoding)
		}
		if r.decoded(t) != siteCSS {
			t.Fatalf("Accept-Encoding %q: does not decode to the file", tc.accept)
		}
	}
	if n := s.static.cache.compressions.Load(); n != 2 {
		t.Fatalf("%d compressions, want one per coding (br, gzip)", n)
	}
}

func TestStaticCachedCompressedAnswers(t *testing.T) {
	s, _ := compressedStaticServer(t, "gzip", map[string]string{
		"site.css":  siteCSS,
		"small.css": "p{margin:0}",
		"logo.png":  strings.Repeat("\x89PNG", 300),
	})
	base := "http://" + serveLoopback(t, s)
	url := base + "/static/site.css"
	ae := []string{"Accept-Encoding", browserEncodings}
	whole := fetch(t, "GET", url, ae...)
	weak, strong := whole.header.Get("ETag"), strings.TrimPrefix(whole.header.Get("ETag"), "W/")

	head := fetch(t, "HEAD", url, ae...)
	if head.status != 200 || head.header.Get("Content-Length") != strconv.Itoa(len(siteCSS)) ||
		head.header.Get("Content-Encoding") != "" || head.header.Get("ETag") != strong || len(head.body) != 0 {
		t.Fatalf("HEAD: %d %v", head.status, head.header)
	}
	for _, tag := range []string{weak, strong} {
		r := fetch(t, "GET", url, "Accept-Encoding", browserEncodings, "If-None-Match", tag)
		if r.status != 304 || len(r.body) != 0 || r.header.Get("Content-Encoding") != "" {
			t.Fatalf("If-None-Match %s: %d %v", tag, r.status, r.header)
		}
	}
	// A range is a slice of the file as it is on disk, never of a compressed body.
	r := fetch(t, "GET", url, "Accept-Encoding", browserEncodings, "Range", "bytes=0-3")
	if r.status != 206 || string(r.body) != "body" || r.header.Get("Content-Encoding") != "" ||
		r.header.Get("Content-Range") != "bytes 0-3/"+strconv.Itoa(len(siteCSS)) {
		t.Fatalf("Range: %d %q %v", r.status, r.body, r.header)
	}
	// Below minimum_size, and a type that does not compress: as they are, no Vary.
	for _, name := range []string{"small.css", "logo.png"} {
		r := fetch(t, "GET", base+"/static/"+name, ae...)
		if r.status != 200 || r.header.Get("Content-Encoding") != "" || r.header.Get("Vary") != "" ||
			strings.HasPrefix(r.header.Get("ETag"), "W/") {
			t.Fatalf("%s: %d %v", name, r.status, r.header)
		}
	}
	if n := s.static.cache.compressions.Load(); n != 1 {
		t.Fatalf("%d compressions, want 1", n)
	}
}

func TestStaticVariantGoesWithTheChangedFile(t *testing.T) {
	s, root := compressedStaticServer(t, "gzip", map[string]string{"site.css": siteCSS})
	base := "http://" + serveLoopback(t, s)
	url := base + "/static/site.css"
	before := fetch(t, "GET", url, "Accept-Encoding", "gzip")
	if before.decoded(t) != siteCSS {
		t.Fatal("first answer does not decode to the file")
	}
	edited := strings.Repeat("h1 { font-weight: bold; }\n", 60)
	writeFile(t, filepath.Join(root, "site.css"), edited)
	time.Sleep(staticRecheck + 50*time.Millisecond)
	after := fetch(t, "GET", url, "Accept-Encoding", "gzip")
	if after.decoded(t) != edited || after.header.Get("ETag") == before.header.Get("ETag") {
		t.Fatalf("after an edit: ETag %s (was %s), decodes to the new file: %v",
			after.header.Get("ETag"), before.header.Get("ETag"), after.decoded(t) == edited)
	}
	if n := s.static.cache.compressions.Load(); n != 2 {
		t.Fatalf("%d compressions, want 2: the edited file compressed anew", n)
	}
	if got := s.static.cache.size; got != int64(len(edited)+len(after.body)) {
		t.Fatalf("cache holds %d bytes, want the edited file and its variant only: %d", got, len(edited)+len(after.body))
	}

	if err := os.Remove(filepath.Join(root, "site.css")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(staticRecheck + 50*time.Millisecond)
	if r := fetch(t, "GET", url, "Accept-Encoding", "gzip"); r.status != 404 {
		t.Fatalf("after removal: %d", r.status)
	}
	if s.static.cache.size != 0 || len(s.static.cache.entries) != 0 {
		t.Fatalf("%d bytes in %d entries left after the only file went", s.static.cache.size, len(s.static.cache.entries))
	}
}

func TestStaticVariantOverTheBudgetIsNotKept(t *testing.T) {
	s, _ := compressedStaticServer(t, "brotli", map[string]string{"site.css": siteCSS})
	base := "http://" + serveLoopback(t, s)
	s.static.cache.budget = int64(len(siteCSS)) + 10 // the file fits, its variant does not
	url := base + "/static/site.css"
	for i := range 2 {
		r := fetch(t, "GET", url, "Accept-Encoding", browserEncodings)
		if r.status != 200 || r.header.Get("Content-Encoding") != "br" || r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) ||
			!strings.HasPrefix(r.header.Get("ETag"), "W/") || r.decoded(t) != siteCSS {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	if n := s.static.cache.compressions.Load(); n != 2 {
		t.Fatalf("%d compressions, want one per answer when the variant cannot be kept", n)
	}
	if got := s.static.cache.size; got != int64(len(siteCSS)) {
		t.Fatalf("cache holds %d bytes, want the file only: %d", got, len(siteCSS))
	}
}

func TestStaticIncompressibleVariantIsRememberedAsSuch(t *testing.T) {
	// Random bytes in a text file: gzip cannot make them smaller, so they go out as
	// they are, and later requests do not try again.
	var b strings.Builder
	x := uint32(2463534242)
	for b.Len() < 4000 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(byte(x))
	}
	noise := b.String()
	s, _ := compressedStaticServer(t, "gzip", map[string]string{"noise.txt": noise})
	base := "http://" + serveLoopback(t, s)
	for range 2 {
		r := fetch(t, "GET", base+"/static/noise.txt", "Accept-Encoding", "gzip")
		if r.status != 200 || r.header.Get("Content-Encoding") != "" || string(r.body) != noise ||
			r.header.Get("Vary") != "Accept-Encoding" || strings.HasPrefix(r.header.Get("ETag"), "W/") {
			t.Fatalf("%d %v", r.status, r.header)
		}
	}
	if n := s.static.cache.compressions.Load(); n != 1 {
		t.Fatalf("%d compressions, want 1", n)
	}
}

func TestStaticCachedCompressedFileAllocatesNothing(t *testing.T) {
	s, _ := compressedStaticServer(t, "brotli", map[string]string{"site.css": siteCSS})
	ctx := newCtx("GET", "/static/site.css", "Accept-Encoding", browserEncodings)
	s.handle(ctx)
	if n := testing.AllocsPerRun(100, func() {
		ctx.Response.Reset()
		s.handle(ctx)
	}); n != 0 {
		t.Fatalf("%v allocations per compressed cached file", n)
	}
	if string(ctx.Response.Header.ContentEncoding()) != "br" || len(ctx.Response.Body()) >= len(siteCSS) {
		t.Fatalf("encoding %q, %d bytes", ctx.Response.Header.ContentEncoding(), len(ctx.Response.Body()))
	}
}
