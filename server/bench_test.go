package server

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// instantPython answers every request at once with a small JSON body.
type instantPython struct{}

var benchBody = []byte(`{"status":"ok"}`)

func (instantPython) Do(_ *protocol.Request, resp *protocol.Response) error {
	resp.Status, resp.Stream, resp.Err = 200, -1, nil
	resp.Body = append(resp.Body[:0], benchBody...)
	setPyHeaders(resp, "content-type", "application/json")
	return nil
}

func (instantPython) Pull(int, *protocol.Response) {}
func (instantPython) CloseStream(int)              {}

func BenchmarkHandleStaticRoute(b *testing.B) {
	routes := []RouteSpec{{Method: "GET", Path: "/health", HandlerID: 0, Name: "health"}}
	for i := 1; i < 40; i++ {
		routes = append(routes,
			RouteSpec{Method: "GET", Path: fmt.Sprintf("/api/v1/resource%d", i), HandlerID: 2 * i, Needs: []string{"query"}},
			RouteSpec{Method: "POST", Path: fmt.Sprintf("/api/v1/resource%d/{id}", i), HandlerID: 2*i + 1, Needs: []string{"params", "body"}})
	}
	s, err := New(newTable(routes...), instantPython{}, log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.shared.Close() })
	h := s.Handler()
	ctx := newCtx("GET", "/health", "User-Agent", "bench", "Accept", "*/*")
	b.ReportAllocs()
	for b.Loop() {
		h(ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
		ctx.Response.Reset()
	}
}

// exampleLikeTable has what the example project turns on for every answer: a
// project-wide CORS policy and compression.
func exampleLikeTable(routes ...RouteSpec) *Table {
	t := newTable(routes...)
	t.Global.CORS = &middleware.MiddlewareConfig{Type: "cors", Origins: []string{"https://app.example"}}
	t.Global.Compression = &middleware.CompressionConfig{Backend: "gzip", MinimumSize: 500, GzipCompressLevel: 6,
		BrotliQuality: 4, BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: true}
	return t
}

func benchHandle(b *testing.B, t *Table, ctx *fasthttp.RequestCtx, status int) {
	s, err := New(t, instantPython{}, log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.shared.Close() })
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		h(ctx)
		if ctx.Response.StatusCode() != status {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
		ctx.Response.Reset()
	}
}

// The response exit (CORS, compression) on a handler's answer and on a rejection.
func BenchmarkHandleWithCORSAndCompression(b *testing.B) {
	t := exampleLikeTable(RouteSpec{Method: "GET", Path: "/health", HandlerID: 0, Name: "health"})
	benchHandle(b, t, newCtx("GET", "/health", "Origin", "https://app.example", "Accept-Encoding", "gzip"), 200)
}

func BenchmarkHandleRejected401(b *testing.B) {
	t := exampleLikeTable(RouteSpec{Method: "GET", Path: "/me", HandlerID: 0, Name: "me", Security: &middleware.RouteConfig{
		AuthBackends: []middleware.AuthBackendConfig{{Type: "jwt", Secret: jwtSecret}},
		Guards:       []middleware.GuardConfig{{Type: "is_authenticated"}}}})
	benchHandle(b, t, newCtx("GET", "/me", "Origin", "https://app.example", "Accept-Encoding", "gzip"), 401)
}

// BenchmarkSmallPostOverLoopback is a small JSON POST on a kept-alive connection, on a
// server that reads bodies whole and on one that streams them (it has a form route).
func BenchmarkSmallPostOverLoopback(b *testing.B) {
	for _, streamed := range []bool{false, true} {
		name := map[bool]string{false: "read-whole", true: "streamed"}[streamed]
		b.Run(name, func(b *testing.B) {
			t := newTable(
				RouteSpec{Method: "POST", Path: "/items", HandlerID: 0, Needs: []string{"body"}, Name: "items"},
				RouteSpec{Method: "POST", Path: "/upload", HandlerID: 1, Needs: []string{"form"}, Name: "upload"},
			)
			t.Settings.MemorySpoolThreshold = t.Settings.MaxUploadSize // nothing can spool: bodies read whole
			if streamed {
				t.Settings.MemorySpoolThreshold = 1 << 10
			}
			s, err := New(t, instantPython{}, log.New(io.Discard, "", 0))
			if err != nil {
				b.Fatal(err)
			}
			if s.http.StreamRequestBody != streamed {
				b.Fatalf("StreamRequestBody = %v", s.http.StreamRequestBody)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go s.Serve(ln)
			b.Cleanup(func() { s.Shutdown(time.Second) })
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			request := []byte("POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n" +
				`{"name":"widget","qty":12}` + "\n")
			reader := bufio.NewReader(conn)
			var resp fasthttp.Response
			b.ReportAllocs()
			for b.Loop() {
				if _, err := conn.Write(request); err != nil {
					b.Fatal(err)
				}
				if err := resp.Read(reader); err != nil || resp.StatusCode() != 200 {
					b.Fatalf("status %d, %v", resp.StatusCode(), err)
				}
			}
		})
	}
}
