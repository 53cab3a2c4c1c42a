package server

import (
	"io"
	"log"
	"strings"
	"testing"

	"djangobolt/protocol"
)

// A handler that gives no answer before its deadline (or before the loop closes) gets
// a logged 500, and its buffers are not reused while the loop may still hold them.
func TestNoAnswerIsA500(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/slow", HandlerID: 0, Name: "app.slow"})
	py := newFake(map[int]func(seenRequest) pyReply{0: func(seenRequest) pyReply { return pyReply{noAnswer: true} }})
	s, logs := newTestServer(t, table, py)
	ctx := newCtx("GET", "/slow")
	s.Handler()(ctx)
	r := send(t, ctx)
	if r.status != 500 || r.body != `{"detail":"Internal Server Error"}` {
		t.Errorf("%d %q, want the 500 body", r.status, r.body)
	}
	if !strings.Contains(logs.String(), "app.slow") || !strings.Contains(logs.String(), "no answer") {
		t.Errorf("log %q does not name the handler and the cause", logs.String())
	}
	if n := s.pending.Load(); n != 0 {
		t.Errorf("pending = %d after the request", n)
	}
}

func TestWriteTimeoutSetsTheDeadline(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/a", HandlerID: 0})
	table.Settings.WriteTimeout = 5
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "ok")})
	var deadlineSet bool
	s, _ := newTestServer(t, table, deadlineProbe{py, &deadlineSet})
	s.Handler()(newCtx("GET", "/a"))
	if !deadlineSet {
		t.Error("BOLT_WRITE_TIMEOUT did not bound the wait for the handler")
	}
}

type deadlineProbe struct {
	*fakePython
	set *bool
}

func (d deadlineProbe) Do(req *protocol.Request, resp *protocol.Response) error {
	*d.set = !req.Deadline.IsZero()
	return d.fakePython.Do(req, resp)
}

// A path the server answers itself must not hide a route: start-up fails naming both.
func TestMetricsPathCollidingWithARouteIsAStartupError(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		table := newTable(RouteSpec{Method: method, Path: "/metrics", HandlerID: 0, Name: "app.api.metrics"})
		table.Settings.Metrics = true
		table.Settings.MetricsPath = "/metrics"
		_, err := New(table, newFake(nil), log.New(io.Discard, "", 0))
		if err == nil {
			t.Fatalf("%s /metrics: no error", method)
		}
		for _, want := range []string{"BOLT_METRICS_PATH", "/metrics", "app.api.metrics", method} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
	}
	table := newTable(RouteSpec{Method: "GET", Path: "/metrics", HandlerID: 0, Name: "app.api.metrics"})
	table.Settings.Metrics = true
	table.Settings.MetricsPath = "/stats"
	s, err := New(table, newFake(nil), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatalf("a free metrics path: %v", err)
	}
	s.shared.Close()
}

// Two routes of one shape (a docs page and a user route, say) fail naming both handlers.
func TestConflictingRoutesNameBothHandlers(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/docs/{page}", HandlerID: 0, Name: "app.api.docs"},
		RouteSpec{Method: "GET", Path: "/docs/{name}", HandlerID: 1, Name: "django_bolt.openapi.docs"},
	)
	_, err := New(table, newFake(nil), log.New(io.Discard, "", 0))
	if err == nil || !strings.Contains(err.Error(), "app.api.docs") || !strings.Contains(err.Error(), "django_bolt.openapi.docs") {
		t.Fatalf("error %v does not name both handlers", err)
	}
}
