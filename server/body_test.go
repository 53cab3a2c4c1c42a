package server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"djangobolt/protocol"
)

// A server whose table has a form route streams request bodies: a large multipart
// body goes from the connection to a temporary file, never whole in memory.

type uploadSeen struct {
	file    string // the spooled file's path, "" if none
	content []byte // what the file or the body held
	body    int    // bytes of body sent as bytes
}

func streamingServer(t *testing.T, threshold int) (addr string, py *fakePython, seen *uploadSeen) {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir()) // spooled files land here: the tests check it is left empty
	table := newTable(
		RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload"},
		RouteSpec{Method: "POST", Path: "/json", HandlerID: 1, Needs: []string{"body"}, Name: "json"},
	)
	table.Settings.MemorySpoolThreshold = threshold
	seen = &uploadSeen{}
	record := func(r seenRequest) pyReply {
		*seen = uploadSeen{body: len(r.Body), content: r.Body}
		if r.BodyFile != "" {
			seen.file = r.BodyFile
			seen.content, _ = os.ReadFile(r.BodyFile)
		}
		return pyReply{status: 200, body: "ok"}
	}
	py = newFake(map[int]func(seenRequest) pyReply{0: record, 1: record})
	s, _ := newTestServer(t, table, py)
	if !s.http.StreamRequestBody {
		t.Fatal("a table with a form route does not stream request bodies")
	}
	return serveLoopback(t, s), py, seen
}

func multipartBody(size int) []byte {
	return []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n" +
		strings.Repeat("x", size) + "\r\n--b--\r\n")
}

// onlyReader hides bytes.Reader's length so net/http sends the body chunked.
type onlyReader struct{ io.Reader }

func post(t *testing.T, client *http.Client, url, contentType string, body io.Reader) (int, string) {
	t.Helper()
	resp, err := client.Post(url, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(text)
}

func assertNoSpooledFiles(t *testing.T) {
	t.Helper()
	left, _ := os.ReadDir(os.Getenv("TMPDIR"))
	if len(left) != 0 {
		t.Errorf("%d spooled file(s) left behind: %v", len(left), left[0].Name())
	}
}

func TestStreamedLargeMultipartBodyReachesPythonAsAFile(t *testing.T) {
	addr, _, seen := streamingServer(t, 1024)
	body := multipartBody(300 << 10)
	for _, framing := range []string{"content-length", "chunked"} {
		t.Run(framing, func(t *testing.T) {
			var reader io.Reader = bytes.NewReader(body)
			if framing == "chunked" {
				reader = onlyReader{reader}
			}
			status, text := post(t, http.DefaultClient, "http://"+addr+"/upload", "multipart/form-data; boundary=b", reader)
			if status != 200 {
				t.Fatalf("status %d %q", status, text)
			}
			if seen.file == "" || !bytes.Equal(seen.content, body) {
				t.Fatalf("spooled file %q holds %d bytes, want the %d-byte body", seen.file, len(seen.content), len(body))
			}
			if seen.body != 0 {
				t.Errorf("the body was sent as bytes as well (%d bytes)", seen.body)
			}
			assertNoSpooledFiles(t)
		})
	}
}

func TestStreamedSmallBodiesStayInMemoryOnAKeptAliveConnection(t *testing.T) {
	addr, py, seen := streamingServer(t, 1024)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	cases := []struct{ path, contentType, body string }{
		{"/upload", "multipart/form-data; boundary=b", string(multipartBody(100))},
		{"/upload", "application/x-www-form-urlencoded", strings.Repeat("a=1&", 1000)},
		{"/json", "application/json", `{"a": 1}`},
		{"/json", "application/json", `["` + strings.Repeat("y", 100<<10) + `"]`},
		{"/json", "application/json", ""},
	}
	for _, tc := range cases {
		for _, framing := range []string{"content-length", "chunked"} {
			var reader io.Reader = strings.NewReader(tc.body)
			if framing == "chunked" {
				reader = onlyReader{reader}
			}
			status, text := post(t, client, "http://"+addr+tc.path, tc.contentType, reader)
			if status != 200 || seen.file != "" || string(seen.content) != tc.body {
				t.Fatalf("%s %s (%s, %d bytes): status %d %q, file %q, body of %d bytes",
					tc.path, tc.contentType, framing, len(tc.body), status, text, seen.file, len(seen.content))
			}
		}
	}
	if py.doCount() != 2*len(cases) {
		t.Fatalf("python ran %d times, want %d", py.doCount(), 2*len(cases))
	}
}

func TestStreamedBodyOverTheLimitIs413(t *testing.T) {
	addr, py, _ := streamingServer(t, 1024)
	over := multipartBody(1 << 20) // the test settings' limit is 1 MiB
	for _, framing := range []string{"content-length", "chunked"} {
		for _, path := range []string{"/upload", "/json"} {
			var reader io.Reader = bytes.NewReader(over)
			if framing == "chunked" {
				reader = onlyReader{reader}
			}
			status, text := post(t, http.DefaultClient, "http://"+addr+path, "multipart/form-data; boundary=b", reader)
			if status != 413 || text != string(protocol.BodyTooLarge(1<<20)) {
				t.Fatalf("%s %s: status %d %q, want 413", path, framing, status, text)
			}
		}
	}
	if py.doCount() != 0 {
		t.Fatalf("python ran for a body over the limit")
	}
	assertNoSpooledFiles(t)
}

func TestTruncatedUploadNeverReachesPython(t *testing.T) {
	addr, py, _ := streamingServer(t, 1024)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	head := "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 500000\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), multipartBody(100<<10)...)); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	reply, _ := io.ReadAll(conn)
	conn.Close()
	if !strings.HasPrefix(string(reply), "HTTP/1.1 400") {
		t.Fatalf("reply %q, want 400", reply)
	}
	if py.doCount() != 0 {
		t.Fatalf("python ran for a truncated body")
	}
	assertNoSpooledFiles(t)
}

func TestServerWithoutFormRoutesReadsBodiesWhole(t *testing.T) {
	table := newTable(RouteSpec{Method: "POST", Path: "/json", HandlerID: 0, Needs: []string{"body"}, Name: "json"})
	s, _ := newTestServer(t, table, newFake(nil))
	if s.http.StreamRequestBody {
		t.Fatal("a table without form routes streams request bodies: every connection would keep its read buffer")
	}
	table = newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload"})
	table.Settings.MemorySpoolThreshold = table.Settings.MaxUploadSize
	if s, _ = newTestServer(t, table, newFake(nil)); s.http.StreamRequestBody {
		t.Fatal("bodies are streamed although none can pass the spool threshold")
	}
}

func limitedServer(t *testing.T, limits ...FileLimit) (addr string, py *fakePython, seen *uploadSeen) {
	t.Helper()
	t.Setenv("TMPDIR", t.TempDir())
	table := newTable(RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload", Uploads: limits})
	table.Settings.MemorySpoolThreshold = 1024
	seen = &uploadSeen{}
	py = newFake(map[int]func(seenRequest) pyReply{0: func(r seenRequest) pyReply {
		*seen = uploadSeen{body: len(r.Body)}
		if r.BodyFile != "" {
			seen.file = r.BodyFile
			seen.content, _ = os.ReadFile(r.BodyFile)
		}
		return pyReply{status: 200, body: "ok"}
	}})
	s, _ := newTestServer(t, table, py)
	return serveLoopback(t, s), py, seen
}

type filePart struct{ field, filename, contentType, content string }

func multipartOf(parts ...filePart) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + p.field + "\"")
		if p.filename != "" {
			b.WriteString("; filename=\"" + p.filename + "\"")
		}
		b.WriteString("\r\n")
		if p.contentType != "" {
			b.WriteString("Content-Type: " + p.contentType + "\r\n")
		}
		b.WriteString("\r\n" + p.content + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

func TestFileLimitsAreCheckedWhileTheBodyStreams(t *testing.T) {
	maxSize, maxFiles := 1000, 2
	limits := []FileLimit{
		{Field: "img", MaxSize: &maxSize, AllowedTypes: []string{"image/*", "application/pdf"}},
		{Field: "docs", MaxFiles: &maxFiles},
	}
	big := strings.Repeat("x", 200<<10)
	cases := []struct {
		name  string
		parts []filePart
		want  string // the 422 body, or "" when Python gets the body
	}{
		{"within the limits", []filePart{{"img", "a.png", "image/png", strings.Repeat("x", 1000)}, {"other", "", "", big}}, ""},
		{"too large", []filePart{{"img", "a.png", "image/png", big}},
			`{"detail":[{"type":"file_too_large","loc":["body","img"],"msg":"File exceeds maximum size of 1000 bytes","ctx":{"max_size":1000,"actual_size":1001}}]}`},
		{"type not allowed", []filePart{{"img", "a.exe", "Application/X-Msdownload; x=1", "MZ"}, {"other", "", "", big}},
			`{"detail":[{"type":"file_invalid_content_type","loc":["body","img"],"msg":"Invalid content type 'application/x-msdownload'","ctx":{"allowed_types":["image/*","application/pdf"],"actual_type":"application/x-msdownload"}}]}`},
		{"no type is octet-stream", []filePart{{"img", "a", "", "x"}, {"other", "", "", big}},
			`{"detail":[{"type":"file_invalid_content_type","loc":["body","img"],"msg":"Invalid content type 'application/octet-stream'","ctx":{"allowed_types":["image/*","application/pdf"],"actual_type":"application/octet-stream"}}]}`},
		{"too many files", []filePart{{"docs", "1", "", "a"}, {"docs", "2", "", "b"}, {"docs", "3", "", "c"}, {"other", "", "", big}},
			`{"detail":[{"type":"file_too_many","loc":["body","docs"],"msg":"Too many files uploaded","ctx":{"max_files":2,"actual_count":3}}]}`},
		{"a form field is not a file", []filePart{{"img", "", "", big}}, ""},
	}
	addr, py, seen := limitedServer(t, limits...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := py.doCount()
			body := multipartOf(tc.parts...)
			status, text := post(t, http.DefaultClient, "http://"+addr+"/upload", "multipart/form-data; boundary=b", bytes.NewReader(body))
			if tc.want == "" {
				if status != 200 || !bytes.Equal(seen.content, body) {
					t.Fatalf("status %d %q; python got %d bytes in %q, want the %d-byte body", status, text, len(seen.content), seen.file, len(body))
				}
				return
			}
			if status != 422 || text != tc.want {
				t.Fatalf("status %d\n got %s\nwant %s", status, text, tc.want)
			}
			if py.doCount() != before {
				t.Fatal("python ran for a refused upload")
			}
			assertNoSpooledFiles(t)
		})
	}
}

func TestAnOversizeFileIsRefusedBeforeTheRestOfTheBodyArrives(t *testing.T) {
	maxSize := 1000
	addr, py, _ := limitedServer(t, FileLimit{Field: "img", MaxSize: &maxSize})
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := multipartOf(filePart{"img", "a.png", "image/png", strings.Repeat("x", 64<<10)})
	head := "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 900000\r\n\r\n"
	// The declared body is far longer than what is sent; the connection stays open.
	if _, err := conn.Write(append([]byte(head), start[:len(start)-20]...)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(reply), "HTTP/1.1 422") || !strings.Contains(string(reply), `"file_too_large"`) {
		t.Fatalf("reply %q, want 422 file_too_large before the body is complete", reply)
	}
	if py.doCount() != 0 {
		t.Fatal("python ran for a refused upload")
	}
	assertNoSpooledFiles(t)
}

func TestMalformedMultipartStillReachesPython(t *testing.T) {
	maxSize := 10
	addr, _, seen := limitedServer(t, FileLimit{Field: "img", MaxSize: &maxSize})
	body := []byte("--b\r\nno headers end" + strings.Repeat("x", 100<<10))
	status, text := post(t, http.DefaultClient, "http://"+addr+"/upload", "multipart/form-data; boundary=b", bytes.NewReader(body))
	if status != 200 || !bytes.Equal(seen.content, body) {
		t.Fatalf("status %d %q; python got %d bytes, want the %d-byte body (it reports the error)", status, text, len(seen.content), len(body))
	}
}

func TestReadingASmallStreamedBodyAllocatesNothing(t *testing.T) {
	body := []byte(`{"name": "a small JSON body"}`)
	buf := make([]byte, 0, 1024)
	reader := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		reader.Reset(body)
		got, err := readUpTo(reader, buf[:0], len(body), 1<<20)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("read %q, %v", got, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per small body", allocs)
	}
	// Reading stops at max bytes, declared size or not: the caller then knows the body is over.
	for _, size := range []int{len(body), -1} {
		reader.Reset(body)
		if got, err := readUpTo(onlyReader{reader}, nil, size, 10); err != nil || string(got) != string(body[:10]) {
			t.Fatalf("size %d: read %q, %v; want the first 10 bytes", size, got, err)
		}
	}
}
