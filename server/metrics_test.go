package server

import (
	"io"
	"log"
	"strings"
	"testing"
)

// meteredServer has metrics on, kept in dir ("" : in this process's memory).
func meteredServer(t testing.TB, dir string) *Server {
	table := newTable(RouteSpec{Method: "GET", Path: "/health", HandlerID: 0, Name: "health"})
	table.Settings.Metrics, table.Settings.MetricsPath = true, "/metrics"
	s, err := NewWorker(table, instantPython{}, log.New(io.Discard, "", 0), Process{Slot: 1, Restarts: 3, MetricsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shared.Close(); s.obs.close(s) })
	return s
}

func TestMetricsEndpointCountsRoutesAndNamesTheWorker(t *testing.T) {
	for _, dir := range []string{"", t.TempDir()} {
		s := meteredServer(t, dir)
		h := s.Handler()
		for _, uri := range []string{"/health", "/health", "/nowhere"} {
			h(newCtx("GET", uri))
		}
		ctx := newCtx("GET", "/metrics")
		h(ctx)
		r := send(t, ctx)
		for _, want := range []string{
			`bolt_requests_total{method="GET",route="/health",status="200"} 2`,
			`bolt_requests_total{method="*",route="(unmatched)",status="404"} 1`,
			`bolt_worker_restarts_total{worker="1"} 3`,
			"bolt_worker_processes 1",
		} {
			if !strings.Contains(r.body, want) {
				t.Errorf("dir %q: no %q in\n%s", dir, want, r.body)
			}
		}
		if r.get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
			t.Errorf("content type %q", r.get("Content-Type"))
		}
	}
}

// The request path with metrics in this process's memory and in a shared region file.
func BenchmarkMeteredRequest(b *testing.B) {
	for _, mode := range []string{"memory", "shared"} {
		b.Run(mode, func(b *testing.B) {
			dir := ""
			if mode == "shared" {
				dir = b.TempDir()
			}
			h := meteredServer(b, dir).Handler()
			ctx := newCtx("GET", "/health")
			b.ReportAllocs()
			for b.Loop() {
				h(ctx)
				ctx.Response.Reset()
			}
		})
	}
}
