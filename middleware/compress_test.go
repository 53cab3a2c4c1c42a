package middleware

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fasthttp"
)

func compressionConfig(backend string, fallback bool) *CompressionConfig {
	return &CompressionConfig{
		Backend: backend, MinimumSize: 100, GzipCompressLevel: 6, BrotliQuality: 4,
		BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: fallback,
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		backend  string
		fallback bool
		accept   string
		want     string // "" = identity
	}{
		{"brotli", true, "gzip, deflate, br", "br"},
		{"brotli", true, "gzip, deflate", "gzip"},
		{"brotli", false, "gzip, deflate", ""},
		{"brotli", true, "br;q=0, gzip", "gzip"},
		{"brotli", true, "br;q=0.0, gzip;q=0", ""},
		{"brotli", true, "br; q=0.001", "br"},
		{"brotli", true, "BR;Q=0.5", "br"},
		{"brotli", true, "*", "br"},
		{"brotli", true, "*;q=0", ""},
		{"brotli", true, "*, br;q=0", "gzip"},
		{"zstd", true, "zstd, gzip", "zstd"},
		{"zstd", true, "br", ""},
		{"gzip", false, "x-gzip", "gzip"},
		{"gzip", true, "identity", ""},
		{"gzip", true, "", ""},
	}
	for _, tc := range cases {
		c, err := newCompressor(compressionConfig(tc.backend, tc.fallback))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if e := c.negotiate([]byte(tc.accept)); e != encIdentity {
			got = encodingNames[e]
		}
		if got != tc.want {
			t.Errorf("%s (fallback %v) with %q: got %q, want %q", tc.backend, tc.fallback, tc.accept, got, tc.want)
		}
	}
}

func decode(t *testing.T, enc string, b []byte) string {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		return string(b)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestCompressResponse(t *testing.T) {
	big := strings.Repeat(`{"id":1,"name":"item"},`, 50)
	cases := []struct {
		name        string
		backend     string
		skip        bool
		contentType string
		encoding    string // pre-set Content-Encoding
		body        string
		accept      string
		want        string // resulting Content-Encoding
		vary        bool
	}{
		{"brotli", "brotli", false, "application/json", "", big, "gzip, br", "br", true},
		{"gzip", "gzip", false, "text/html; charset=utf-8", "", big, "gzip", "gzip", true},
		{"zstd", "zstd", false, "application/problem+json", "", big, "zstd", "zstd", true},
		{"gzip fallback", "zstd", false, "image/svg+xml", "", big, "gzip", "gzip", true},
		{"below minimum size", "gzip", false, "application/json", "", big[:99], "gzip", "", false},
		{"image not compressed", "gzip", false, "image/png", "", big, "gzip", "", false},
		{"zip not compressed", "gzip", false, "application/zip", "", big, "gzip", "", false},
		{"event stream never", "gzip", false, "text/event-stream", "", big, "gzip", "", false},
		{"already encoded", "gzip", false, "application/json", "br", big, "gzip", "br", false},
		{"skip compression", "gzip", true, "application/json", "", big, "gzip", "", false},
		{"client refuses", "gzip", false, "application/json", "", big, "identity", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := mustShared(t, GlobalConfig{Compression: compressionConfig(tc.backend, true)})
			rc := RouteConfig{}
			if tc.skip {
				rc.Skip = []string{"compression"}
			}
			p := mustPipeline(t, s, rc)
			ctx := get("Accept-Encoding", tc.accept)
			ctx.SetContentType(tc.contentType)
			if tc.encoding != "" {
				ctx.Response.Header.SetContentEncoding(tc.encoding)
			}
			ctx.SetBodyString(tc.body)
			p.Finish(ctx)
			if got := string(ctx.Response.Header.ContentEncoding()); got != tc.want {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.want)
			}
			if tc.encoding == "" {
				if got := decode(t, tc.want, ctx.Response.Body()); got != tc.body {
					t.Fatalf("body does not round-trip: %q", got)
				}
			}
			if got := respHeader(ctx, "Vary") == "Accept-Encoding"; got != tc.vary {
				t.Fatalf("Vary = %q", respHeader(ctx, "Vary"))
			}
		})
	}
}

func TestCompressKeepsVaryAndCORS(t *testing.T) {
	s := mustShared(t, GlobalConfig{CORSAllowedOrigins: []string{"https://a.example"}, Compression: compressionConfig("gzip", false)})
	p := mustPipeline(t, s, RouteConfig{Middleware: []MiddlewareConfig{{Type: "cors"}}})
	ctx := get("Accept-Encoding", "gzip", "Origin", "https://a.example")
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Vary", "Cookie")
	ctx.SetBodyString(strings.Repeat("x", 500))
	p.Finish(ctx)
	if v := respHeader(ctx, "Vary"); v != "Cookie, Origin, Accept-Encoding" {
		t.Fatalf("Vary = %q", v)
	}
	// The wire form must carry the compressed length.
	var resp fasthttp.Response
	if err := resp.Read(bufioReader(ctx.Response.String())); err != nil {
		t.Fatal(err)
	}
	if resp.Header.ContentLength() != len(ctx.Response.Body()) || resp.Header.ContentLength() >= 500 {
		t.Fatalf("Content-Length %d, body %d", resp.Header.ContentLength(), len(ctx.Response.Body()))
	}
}

func TestCompressWeakensTheETag(t *testing.T) {
	s := mustShared(t, GlobalConfig{Compression: compressionConfig("gzip", false)})
	p := mustPipeline(t, s, RouteConfig{})
	for _, tc := range []struct{ accept, etag, want string }{
		{"gzip", `"v1"`, `W/"v1"`},
		{"gzip", `W/"v1"`, `W/"v1"`},
		{"identity", `"v1"`, `"v1"`}, // sent as it is: the tag still names these bytes
	} {
		ctx := get("Accept-Encoding", tc.accept)
		ctx.SetContentType("application/json")
		ctx.Response.Header.Set(fasthttp.HeaderETag, tc.etag)
		ctx.SetBodyString(strings.Repeat(`{"id":1},`, 100))
		p.Finish(ctx)
		if got := respHeader(ctx, "ETag"); got != tc.want {
			t.Fatalf("Accept-Encoding %s, ETag %s: got %s, want %s", tc.accept, tc.etag, got, tc.want)
		}
	}
}

func TestCompressStreamUntouched(t *testing.T) {
	s := mustShared(t, GlobalConfig{Compression: compressionConfig("gzip", false)})
	p := mustPipeline(t, s, RouteConfig{})
	ctx := get("Accept-Encoding", "gzip")
	ctx.SetContentType("text/plain")
	ctx.SetBodyStream(strings.NewReader(strings.Repeat("x", 500)), 500)
	p.Finish(ctx)
	if len(ctx.Response.Header.ContentEncoding()) != 0 {
		t.Fatal("a streamed body was marked compressed")
	}
}

func TestCompressionConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*CompressionConfig)
		want   string
	}{
		{func(c *CompressionConfig) { c.Backend = "deflate" }, `unknown backend "deflate"`},
		{func(c *CompressionConfig) { c.MinimumSize = -1 }, "minimum_size -1"},
		{func(c *CompressionConfig) { c.GzipCompressLevel = 0 }, "gzip_compress_level 0 must be 1..9"},
		{func(c *CompressionConfig) { c.BrotliQuality = 12 }, "brotli_quality 12 must be 0..11"},
		{func(c *CompressionConfig) { c.BrotliLgwin = 9 }, "brotli_lgwin 9 must be 10..24"},
		{func(c *CompressionConfig) { c.ZstdLevel = 23 }, "zstd_level 23 must be 1..22"},
	} {
		c := compressionConfig("gzip", true)
		tc.mutate(c)
		if _, err := NewShared(GlobalConfig{Compression: c}, quiet); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// fileResponse sets up ctx as serveFile does for a whole file: the open file as the
// body stream, its size as Content-Length, status 200.
func fileResponse(t *testing.T, ctx *fasthttp.RequestCtx, content, contentType string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx.Response.Header.SetContentType(contentType)
	ctx.Response.Header.Set(fasthttp.HeaderETag, `"abc"`)
	ctx.Response.SetBodyStream(f, len(content))
}

func TestCompressFile(t *testing.T) {
	css := strings.Repeat("body { color: red; margin: 0 auto; }\n", 200)
	cases := []struct {
		name, content, contentType, accept string
		status                             int
		want                               string // Content-Encoding; "" = sent as it is
	}{
		{"css", css, "text/css", "gzip", 200, "gzip"},
		{"javascript", css, "application/javascript", "br, gzip", 200, "gzip"},
		{"client accepts nothing", css, "text/css", "", 200, ""},
		{"png", css, "image/png", "gzip", 200, ""},
		{"below minimum_size", "tiny", "text/plain", "gzip", 200, ""},
		{"above the cap", strings.Repeat("a", maxCompressedFile+1), "text/plain", "gzip", 200, ""},
		{"not 200", css, "text/css", "gzip", 201, ""},
	}
	c, err := newCompressor(compressionConfig("gzip", true))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			ctx.Request.Header.Set("Accept-Encoding", tc.accept)
			fileResponse(t, &ctx, tc.content, tc.contentType)
			ctx.SetStatusCode(tc.status)
			c.compressFile(&ctx)
			resp := &ctx.Response
			if got := string(resp.Header.ContentEncoding()); got != tc.want {
				t.Fatalf("Content-Encoding %q, want %q", got, tc.want)
			}
			if tc.want == "" {
				if !resp.IsBodyStream() {
					t.Fatal("an uncompressed file must still be streamed from disk")
				}
				if got := string(resp.Header.Peek(fasthttp.HeaderETag)); got != `"abc"` {
					t.Fatalf("ETag %q changed", got)
				}
				return
			}
			if got := decode(t, tc.want, resp.Body()); got != tc.content {
				t.Fatalf("decoded body differs (%d bytes, want %d)", len(got), len(tc.content))
			}
			if got := string(resp.Header.Peek(fasthttp.HeaderETag)); got != `W/"abc"` {
				t.Fatalf("ETag %q, want the weak W/\"abc\"", got)
			}
			if !strings.Contains(string(resp.Header.Peek("Vary")), "Accept-Encoding") {
				t.Fatal("no Vary: Accept-Encoding")
			}
		})
	}
}

func TestCompressFileLeavesARangeAlone(t *testing.T) {
	c, err := newCompressor(compressionConfig("gzip", true))
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Accept-Encoding", "gzip")
	section := io.NewSectionReader(strings.NewReader(strings.Repeat("x", 5000)), 10, 1000)
	ctx.Response.Header.SetContentType("text/plain")
	ctx.Response.SetBodyStream(section, 1000)
	ctx.SetStatusCode(fasthttp.StatusPartialContent)
	c.compressFile(&ctx)
	if len(ctx.Response.Header.ContentEncoding()) > 0 || !ctx.Response.IsBodyStream() {
		t.Fatal("a range response was compressed")
	}
}
