package server

import (
	"fmt"
	"io"
	"log"
	"testing"

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
