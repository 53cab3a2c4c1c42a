package server

import (
	"io"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"djangobolt/middleware"
)

// knownTable is goSideTable with docs assets, a static file and a project-wide CORS
// policy: something answers under each of several first segments.
func knownTable(t *testing.T) *Table {
	table := goSideTable(t)
	table.Routes = append(table.Routes, RouteSpec{Method: "POST", Path: "/orders/{id}/lines", HandlerID: 9, Name: "lines"})
	dir := table.Static.Directories[0].Root
	if err := os.WriteFile(filepath.Join(dir, "site.css"), []byte("body{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := t.TempDir()
	if err := os.MkdirAll(filepath.Join(docs, "ui-1.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, "ui-1.0", "ui.js"), []byte("ui()"), 0o644); err != nil {
		t.Fatal(err)
	}
	table.DocsAssets = &DocsAssets{URLPrefix: "/docs/assets", Root: docs, Files: []string{"ui-1.0/ui.js"}}
	table.Site.Exact = append(table.Site.Exact, "/about")
	table.Global.CORS = &middleware.MiddlewareConfig{Type: "cors", Origins: []string{"http://app.example"}}
	return table
}

// Answering a path under a first segment nothing has straight away must give what
// asking the static files, the slash redirect, the docs, the site, the router and the
// WebSocket routes in turn gives: the server is compared with itself without the
// shortcut, on paths under known and unknown first segments.
func TestUnknownFirstSegmentsAnswerAsTheLongWay(t *testing.T) {
	handlers := map[int]func(seenRequest) pyReply{}
	for id := range 10 {
		handlers[id] = answer(200, "handler "+strconv.Itoa(id))
	}
	s, err := New(knownTable(t), newFake(handlers), log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shared.Close() })
	if s.known == nil {
		t.Fatal("no first-segment index for a table with none that matches any segment")
	}
	for path, want := range map[string]bool{"/nope": true, "/no/such/route": true, "/nope/items": true,
		"/": false, "/items/x/y": false, "/about": false, "/admin/x": false, "/static/x": false,
		"/docs/assets/x": false, "/ws/echo": false, "/orders": false} {
		if got := s.known.unknown([]byte(path)); got != want {
			t.Errorf("unknown(%s) = %v, want %v", path, got, want)
		}
	}
	shortcut := s.known
	const origin = "http://app.example"
	paths := []string{"/", "//", "/nope", "/nope/", "/no/such/route", "/items", "/items/", "/items/1/",
		"/cors/", "/router/hello/", "/router", "/static", "/static/site.css", "/static/none.css",
		"/staticx/site.css", "/docs/assets/ui-1.0/ui.js", "/docs", "/about", "/about/", "/admin",
		"/admin/x", "/adminx", "/ws/echo", "/ws", "/orders/1/lines", "/orders/1/lines/"}
	type request struct {
		method  string
		headers []string
	}
	requests := []request{
		{"GET", nil}, {"HEAD", nil}, {"POST", nil}, {"DELETE", nil}, {"OPTIONS", nil},
		{"OPTIONS", []string{"Origin", origin, "Access-Control-Request-Method", "GET"}},
		{"OPTIONS", []string{"Origin", origin, "Access-Control-Request-Method", "POST"}},
		{"GET", []string{"Origin", origin}},
	}
	for _, path := range paths {
		for _, rq := range requests {
			headers := append([]string{"Host", "127.0.0.1:8000"}, rq.headers...)
			s.known = shortcut
			fast := newCtx(rq.method, path, headers...)
			s.Handler()(fast)
			s.known = nil
			long := newCtx(rq.method, path, headers...)
			s.Handler()(long)
			f, l := send(t, fast), send(t, long)
			if withoutDate(f.raw) != withoutDate(l.raw) || f.body != l.body {
				t.Errorf("%s %s %q:\n%s%s\nthe long way:\n%s%s", rq.method, path, rq.headers, f.raw, f.body, l.raw, l.body)
			}
		}
	}
}

// withoutDate drops the Date line of a response head: two answers a second apart differ there.
func withoutDate(head string) string {
	var out []string
	for _, line := range strings.Split(head, "\r\n") {
		if !strings.HasPrefix(line, "Date: ") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\r\n")
}

// Where something may answer under any first segment, every path takes the long way.
func TestNoFirstSegmentIndexWhenAnySegmentMayMatch(t *testing.T) {
	for name, change := range map[string]func(*Table){
		"a route whose first segment is a parameter": func(t *Table) {
			t.Routes = append(t.Routes, RouteSpec{Method: "GET", Path: "/{slug}/feed", HandlerID: 9, Name: "feed"})
		},
		"a WebSocket route whose first segment is a parameter": func(t *Table) {
			t.WebSockets = append(t.WebSockets, WebSocketSpec{Path: "/{room}", HandlerID: 9, Name: "room"})
		},
		"a site prefix inside the first segment": func(t *Table) { t.Site.Prefixes = append(t.Site.Prefixes, "/post-") },
		"a site prefix of every path":            func(t *Table) { t.Site.Prefixes = append(t.Site.Prefixes, "/") },
	} {
		table := goSideTable(t)
		change(table)
		s, err := New(table, instantPython{}, log.New(io.Discard, "", 0))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.known != nil {
			t.Errorf("%s: a first-segment index %v", name, s.known)
		}
		s.shared.Close()
	}
}
