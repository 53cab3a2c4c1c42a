package middleware

import (
	"bufio"
	"io"
	"log"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// newCtx builds an in-memory request from a peer address ("ip:port").
func newCtx(method, peer string, headers ...string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI("/items")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	addr, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		panic(err)
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, addr, nil)
	return ctx
}

func get(headers ...string) *fasthttp.RequestCtx {
	return newCtx("GET", "192.0.2.1:4000", headers...)
}

// quiet is the logger of tests that do not look at what the middleware logs.
var quiet = log.New(io.Discard, "", 0)

func mustShared(t testing.TB, cfg GlobalConfig) *Shared {
	t.Helper()
	s, err := NewShared(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustPipeline(t testing.TB, s *Shared, rc RouteConfig) *Pipeline {
	t.Helper()
	p, err := NewPipeline(rc, s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func respHeader(ctx *fasthttp.RequestCtx, name string) string {
	return string(ctx.Response.Header.Peek(name))
}

func intp(n int) *int { return &n }

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
