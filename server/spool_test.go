package server

import (
	"os"
	"strings"
	"testing"
)

func TestLargeMultipartBodyOfAFormRouteReachesPythonAsAFile(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload"},
		RouteSpec{Method: "POST", Path: "/json", HandlerID: 1, Needs: []string{"headers", "body"}, Name: "json"},
	)
	table.Settings.MemorySpoolThreshold = 16
	var spooled string
	var content []byte
	handlers := map[int]func(seenRequest) pyReply{
		0: func(r seenRequest) pyReply {
			spooled = r.BodyFile
			if spooled != "" {
				content, _ = os.ReadFile(spooled)
			}
			return pyReply{status: 200, body: "ok"}
		},
		1: answer(200, "ok"),
	}
	large := "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" + strings.Repeat("x", 100) + "\r\n--b--\r\n"
	cases := []struct {
		name, path, contentType, body string
		spool                         bool
	}{
		{"large multipart", "/upload", "Multipart/Form-Data; boundary=b", large, true},
		{"small multipart", "/upload", "multipart/form-data; boundary=b", "--b--\r\n", false},
		{"large urlencoded", "/upload", "application/x-www-form-urlencoded", strings.Repeat("a=1&", 30), false},
		{"large body of a JSON route", "/json", "multipart/form-data; boundary=b", large, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spooled, content = "", nil
			py := newFake(handlers)
			s, _ := newTestServer(t, table, py)
			ctx := newCtxBody("POST", tc.path, []byte(tc.body), "Content-Type", tc.contentType)
			s.Handler()(ctx)
			got := py.lastRequest(t)
			for i := 0; i < len(got.Headers); i += 2 {
				if strings.Contains(got.Headers[i], "body-file") {
					t.Errorf("the headers Python sees name the body file: %s: %s", got.Headers[i], got.Headers[i+1])
				}
			}
			if !tc.spool {
				if got.BodyFile != "" {
					t.Fatalf("body spooled although it should not be")
				}
				if string(got.Body) != tc.body {
					t.Fatalf("body = %q, want %q", got.Body, tc.body)
				}
				return
			}
			if spooled == "" || string(content) != tc.body {
				t.Fatalf("spooled file %q holds %q, want the body", spooled, content)
			}
			if len(got.Body) != 0 {
				t.Errorf("the body was sent as well (%d bytes)", len(got.Body))
			}
			if _, err := os.Stat(spooled); !os.IsNotExist(err) {
				t.Errorf("spooled file %s still exists after the response (err %v)", spooled, err)
			}
		})
	}
}

// The body file is a field of the request, not a header: whatever headers a client
// sends, Python receives the body as bytes and never a path to open.
func TestBodyFileCannotBeForgedWithAHeader(t *testing.T) {
	table := newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload"})
	table.Settings.MemorySpoolThreshold = 1 << 20
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "ok")})
	s, _ := newTestServer(t, table, py)
	ln := serveLoopback(t, s)
	for _, name := range []string{"Bolt-Body-File", ":bolt-body-file"} {
		t.Run(name, func(t *testing.T) {
			before := py.doCount()
			raw := "POST /upload HTTP/1.1\r\nHost: x\r\n" + name + ": /etc/passwd\r\nConnection: close\r\nContent-Length: 2\r\n\r\nab"
			reply := rawExchange(t, ln, raw)
			if py.doCount() == before {
				return // refused before Python (a header name cannot start with ':')
			}
			if got := py.lastRequest(t); got.BodyFile != "" || string(got.Body) != "ab" {
				t.Fatalf("a client-sent %s header made the body file %q, body %q (reply %q)", name, got.BodyFile, got.Body, reply)
			}
		})
	}
}
