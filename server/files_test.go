package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

const fileContent = "0123456789abcdefghijklmnop" // 26 bytes

var fileTime = time.Date(2020, 1, 2, 3, 4, 5, 678, time.UTC)

// fileFixture writes content with a fixed, old modification time so that dates are
// predictable and strong enough for If-Range.
func fileFixture(t *testing.T, content string) (path, etag, lastModified string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "data.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fileTime, fileTime); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf(`"%x-%x"`, len(content), fileTime.UnixNano()), "Thu, 02 Jan 2020 03:04:05 GMT"
}

// openFiles counts this process's descriptors open on any of paths, to catch a file
// left open. Only those count: other tests' connections may close meanwhile.
func openFiles(t *testing.T, paths ...string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	resolved := make(map[string]bool, len(paths))
	for _, p := range paths {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real // descriptors name the resolved path
		}
		resolved[p] = true
	}
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue // the descriptor of the directory listing itself, closed since
		}
		if resolved[target] {
			n++
		}
	}
	return n
}

// wire is a response as a client receives it.
type wire struct {
	status int
	header string // raw header block
	resp   *fasthttp.Response
}

// get returns a header value, "" when absent.
func (w wire) get(name string) string {
	if !w.has(name) {
		return ""
	}
	return string(w.resp.Header.Peek(name))
}

// has reports whether the header was sent at all.
func (w wire) has(name string) bool {
	return strings.Contains(strings.ToLower(w.header), "\r\n"+strings.ToLower(name)+":")
}

// serveAndWrite runs serveFile the way the server does (status and headers from
// Python first) and serializes the response as fasthttp would on a connection.
func serveAndWrite(t *testing.T, method, path string, status int, pyHeaders, reqHeaders []string) wire {
	t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI("/file")
	for i := 0; i+1 < len(reqHeaders); i += 2 {
		ctx.Request.Header.Add(reqHeaders[i], reqHeaders[i+1])
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/plain")
	ctx.Response.Header.Set("Cache-Control", "max-age=60")
	ctx.Response.Header.Set("Content-Disposition", `attachment; filename="data.txt"`)
	for i := 0; i+1 < len(pyHeaders); i += 2 {
		ctx.Response.Header.Set(pyHeaders[i], pyHeaders[i+1])
	}
	serveFile(&ctx, path)

	head := ctx.IsHead()
	ctx.Response.SkipBody = head // as fasthttp.Server does
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := ctx.Response.Write(bw); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	raw := buf.String()
	out := &fasthttp.Response{SkipBody: head}
	if err := out.Read(bufio.NewReader(&buf)); err != nil {
		t.Fatalf("unreadable response %q: %v", raw, err)
	}
	end := strings.Index(raw, "\r\n\r\n")
	return wire{status: out.StatusCode(), header: raw[:end+2], resp: out}
}

func TestServeFile(t *testing.T) {
	path, etag, lastMod := fileFixture(t, fileContent)
	dir := t.TempDir()
	dirLink := filepath.Join(t.TempDir(), "dir-link")
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	empty, _, _ := fileFixture(t, "")
	const earlier, later = "Wed, 01 Jan 2020 00:00:00 GMT", "Fri, 03 Jan 2020 00:00:00 GMT"
	weakETag := "W/" + etag
	full := fileContent
	size := fmt.Sprint(len(fileContent))

	tests := []struct {
		name      string
		method    string
		path      string
		status    int      // set by Python; 0 means 200
		py        []string // response headers set by Python
		req       []string // request headers
		want      int
		body      string
		headers   map[string]string // expected values; "" means absent
		bodyStart string            // checked instead of body when set
	}{
		{name: "full", req: nil, want: 200, body: full, headers: map[string]string{
			"ETag": etag, "Last-Modified": lastMod, "Accept-Ranges": "bytes", "Content-Length": size,
			"Content-Type": "text/plain", "Content-Range": ""}},
		{name: "head", method: "HEAD", want: 200, body: "", headers: map[string]string{
			"Content-Length": size, "ETag": etag, "Content-Type": "text/plain"}},
		{name: "head range", method: "HEAD", req: []string{"Range", "bytes=0-4"}, want: 206, body: "",
			headers: map[string]string{"Content-Length": "5", "Content-Range": "bytes 0-4/26"}},
		{name: "if-none-match", req: []string{"If-None-Match", etag}, want: 304, headers: map[string]string{
			"ETag": etag, "Last-Modified": lastMod, "Cache-Control": "max-age=60",
			"Content-Type": "", "Content-Length": "", "Content-Disposition": ""}},
		{name: "if-none-match weak", req: []string{"If-None-Match", weakETag}, want: 304},
		{name: "if-none-match list", req: []string{"If-None-Match", `"a", W/"b" ,` + etag}, want: 304},
		{name: "if-none-match star", req: []string{"If-None-Match", "*"}, want: 304},
		{name: "if-none-match other", req: []string{"If-None-Match", `"other"`}, want: 200, body: full},
		{name: "if-none-match head", method: "HEAD", req: []string{"If-None-Match", etag}, want: 304},
		{name: "if-none-match post", method: "POST", req: []string{"If-None-Match", etag}, want: 412},
		{name: "if-modified-since equal", req: []string{"If-Modified-Since", lastMod}, want: 304,
			headers: map[string]string{"Last-Modified": lastMod, "Content-Type": ""}},
		{name: "if-modified-since later", req: []string{"If-Modified-Since", later}, want: 304},
		{name: "if-modified-since earlier", req: []string{"If-Modified-Since", earlier}, want: 200, body: full},
		{name: "if-modified-since invalid", req: []string{"If-Modified-Since", "yesterday"}, want: 200, body: full},
		{name: "if-none-match wins over date", req: []string{"If-None-Match", `"other"`, "If-Modified-Since", lastMod},
			want: 200, body: full},
		{name: "if-match ok", req: []string{"If-Match", etag}, want: 200, body: full},
		{name: "if-match star", req: []string{"If-Match", "*"}, want: 200, body: full},
		{name: "if-match fails", req: []string{"If-Match", `"other"`}, want: 412,
			headers: map[string]string{"Content-Disposition": "", "Content-Type": "text/plain; charset=utf-8"}},
		{name: "if-match weak is not strong", req: []string{"If-Match", weakETag}, want: 412},
		{name: "if-unmodified-since fails", req: []string{"If-Unmodified-Since", earlier}, want: 412},
		{name: "if-unmodified-since ok", req: []string{"If-Unmodified-Since", lastMod}, want: 200, body: full},
		{name: "range", req: []string{"Range", "bytes=2-5"}, want: 206, body: "2345", headers: map[string]string{
			"Content-Range": "bytes 2-5/26", "Content-Length": "4", "Content-Type": "text/plain", "ETag": etag}},
		{name: "range open", req: []string{"Range", "bytes=20-"}, want: 206, body: "klmnop",
			headers: map[string]string{"Content-Range": "bytes 20-25/26"}},
		{name: "range suffix", req: []string{"Range", "bytes=-3"}, want: 206, body: "nop",
			headers: map[string]string{"Content-Range": "bytes 23-25/26"}},
		{name: "range suffix too long", req: []string{"Range", "bytes=-100"}, want: 206, body: full,
			headers: map[string]string{"Content-Range": "bytes 0-25/26"}},
		{name: "range clamped", req: []string{"Range", "bytes=24-999"}, want: 206, body: "op",
			headers: map[string]string{"Content-Range": "bytes 24-25/26"}},
		{name: "range unsatisfiable", req: []string{"Range", "bytes=26-"}, want: 416,
			headers: map[string]string{"Content-Range": "bytes */26", "Content-Disposition": ""}},
		{name: "range empty suffix", req: []string{"Range", "bytes=-0"}, want: 416,
			headers: map[string]string{"Content-Range": "bytes */26"}},
		{name: "if-range etag match", req: []string{"Range", "bytes=0-1", "If-Range", etag}, want: 206, body: "01"},
		{name: "if-range etag mismatch", req: []string{"Range", "bytes=0-1", "If-Range", `"old"`}, want: 200, body: full},
		{name: "if-range weak etag", req: []string{"Range", "bytes=0-1", "If-Range", weakETag}, want: 200, body: full},
		{name: "if-range date match", req: []string{"Range", "bytes=0-1", "If-Range", lastMod}, want: 206, body: "01"},
		{name: "if-range date mismatch", req: []string{"Range", "bytes=0-1", "If-Range", earlier}, want: 200, body: full},
		{name: "multiple ranges", req: []string{"Range", "bytes=0-1,4-5"}, want: 200, body: full,
			headers: map[string]string{"Content-Range": ""}},
		{name: "range reversed", req: []string{"Range", "bytes=5-2"}, want: 200, body: full},
		{name: "range garbage", req: []string{"Range", "bytes=abc"}, want: 200, body: full},
		{name: "range other unit", req: []string{"Range", "items=0-1"}, want: 200, body: full},
		{name: "range on post", method: "POST", req: []string{"Range", "bytes=0-1"}, want: 200, body: full},
		{name: "range and if-none-match other", req: []string{"Range", "bytes=0-1", "If-None-Match", `"x"`},
			want: 206, body: "01"},
		{name: "range on empty file", path: empty, req: []string{"Range", "bytes=0-1"}, want: 200, body: "",
			headers: map[string]string{"Content-Length": "0"}},
		{name: "missing", path: filepath.Join(dir, "nope"), want: 404, body: "File not found",
			headers: map[string]string{"Content-Type": "text/plain; charset=utf-8", "ETag": ""}},
		{name: "directory", path: dir, want: 404, body: "File not found",
			headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}},
		{name: "symlink to a directory", path: dirLink, want: 404, body: "File not found"},
		{name: "fifo", path: fifo, want: 404, body: "File not found"},
		{name: "python etag kept", py: []string{"ETag", `"py"`, "Last-Modified", earlier},
			req: []string{"If-None-Match", `"py"`}, want: 304,
			headers: map[string]string{"ETag": `"py"`, "Last-Modified": earlier}},
		{name: "python etag compared", py: []string{"ETag", `"py"`}, req: []string{"If-None-Match", etag},
			want: 200, body: full, headers: map[string]string{"ETag": `"py"`}},
		{name: "python status untouched", status: 201,
			req: []string{"Range", "bytes=0-1", "If-None-Match", etag, "If-Match", `"x"`}, want: 201, body: full,
			headers: map[string]string{"Content-Range": "", "Content-Type": "text/plain"}},
	}

	served := []string{path, empty, dir, fifo}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, p, status := tc.method, tc.path, tc.status
			if method == "" {
				method = "GET"
			}
			if p == "" {
				p = path
			}
			if status == 0 {
				status = 200
			}
			w := serveAndWrite(t, method, p, status, tc.py, tc.req)
			if w.status != tc.want {
				t.Fatalf("status %d, want %d\n%s", w.status, tc.want, w.header)
			}
			body := string(w.resp.Body())
			if tc.bodyStart != "" {
				if !strings.HasPrefix(body, tc.bodyStart) {
					t.Errorf("body %q, want prefix %q", body, tc.bodyStart)
				}
			} else if (tc.want == 200 || tc.want == 206 || tc.want == 201 || tc.want == 404) && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if tc.want == 304 && len(body) != 0 {
				t.Errorf("304 with body %q", body)
			}
			for name, want := range tc.headers {
				if want == "" {
					if w.has(name) {
						t.Errorf("%s sent (%q), want absent", name, w.get(name))
					}
				} else if got := w.get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if n := openFiles(t, served...); n != 0 {
				t.Errorf("%d descriptors still open on the served files: file left open", n)
			}
		})
	}
}

// TestServeFileRangeBodyBounded checks that the partial body stops at the range end
// even for readers that ignore Content-Length.
func TestServeFileRangeBodyBounded(t *testing.T) {
	path, _, _ := fileFixture(t, fileContent)
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.Header.Set("Range", "bytes=3-6")
	serveFile(&ctx, path)
	var buf bytes.Buffer
	if err := ctx.Response.BodyWriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "3456" {
		t.Fatalf("body %q, want %q", buf.String(), "3456")
	}
}

func TestServeFilePermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path, _, _ := fileFixture(t, fileContent)
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	w := serveAndWrite(t, "GET", path, 200, nil, nil)
	if w.status != 403 || string(w.resp.Body()) != "Permission denied" {
		t.Fatalf("got %d %q", w.status, w.resp.Body())
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		spec          string
		size          int64
		start, length int64
		res           rangeResult
	}{
		{"bytes=0-0", 10, 0, 1, rangeSatisfiable},
		{"bytes=0-", 10, 0, 10, rangeSatisfiable},
		{"BYTES=1-2", 10, 1, 2, rangeSatisfiable},
		{"bytes= 1-2 ,", 10, 1, 2, rangeSatisfiable},
		{"bytes=-10", 10, 0, 10, rangeSatisfiable},
		{"bytes=9-99999999999999999999999", 10, 9, 1, rangeSatisfiable},
		{"bytes=-99999999999999999999999", 10, 0, 10, rangeSatisfiable},
		{"bytes=99999999999999999999999-", 10, 0, 0, rangeUnsatisfiable},
		{"bytes=10-", 10, 0, 0, rangeUnsatisfiable},
		{"bytes=-0", 10, 0, 0, rangeUnsatisfiable},
		{"bytes=0-1,2-3", 10, 0, 0, rangeIgnored},
		{"bytes=", 10, 0, 0, rangeIgnored},
		{"bytes=-", 10, 0, 0, rangeIgnored},
		{"bytes=1", 10, 0, 0, rangeIgnored},
		{"bytes=1 - 2", 10, 0, 0, rangeIgnored},
		{"bytes=+1-2", 10, 0, 0, rangeIgnored},
		{"bytes=1-2-3", 10, 0, 0, rangeIgnored},
		{"bytes=0-0", 0, 0, 0, rangeIgnored},
		{"bytes", 10, 0, 0, rangeIgnored},
	}
	for _, tc := range tests {
		start, length, res := parseRange([]byte(tc.spec), tc.size)
		if start != tc.start || length != tc.length || res != tc.res {
			t.Errorf("parseRange(%q, %d) = %d, %d, %d; want %d, %d, %d",
				tc.spec, tc.size, start, length, res, tc.start, tc.length, tc.res)
		}
	}
}

func FuzzRangeHeader(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=5-", "bytes=-5", "bytes=1-0", "bytes=0-1,2-3",
		"bytes=99999999999999999999-", "bytes= ,0-,", "Bytes=-0"} {
		f.Add(s, uint64(10))
	}
	f.Fuzz(func(t *testing.T, spec string, n uint64) {
		size := int64(n >> 1) // any non-negative int64
		start, length, res := parseRange([]byte(spec), size)
		switch res {
		case rangeSatisfiable:
			if start < 0 || length < 1 || start >= size || length > size-start {
				t.Fatalf("parseRange(%q, %d) = %d, %d out of bounds", spec, size, start, length)
			}
		case rangeIgnored, rangeUnsatisfiable:
			if start != 0 || length != 0 {
				t.Fatalf("parseRange(%q, %d) = %d, %d with result %d", spec, size, start, length, res)
			}
		default:
			t.Fatalf("unknown result %d", res)
		}
	})
}

// TestServeFileLargeFlatMemory streams a 200 MB file through a real fasthttp server
// and client and checks that neither side buffers it on the heap.
func TestServeFileLargeFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	const size = 200 << 20
	path := filepath.Join(t.TempDir(), "big.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/octet-stream")
		serveFile(ctx, path)
	}}
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Shutdown()
	client := &fasthttp.HostClient{
		Addr:               "bolt.test",
		Dial:               func(string) (net.Conn, error) { return ln.Dial() },
		StreamResponseBody: true,
	}

	runtime.GC()
	var before, now runtime.MemStats
	runtime.ReadMemStats(&before)

	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://bolt.test/big.bin")
	if err := client.Do(req, resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || resp.Header.ContentLength() != size {
		t.Fatalf("status %d, length %d", resp.StatusCode(), resp.Header.ContentLength())
	}
	body := resp.BodyStream()
	chunk := make([]byte, 256<<10)
	var total, peak int64
	for next := int64(0); ; {
		n, err := body.Read(chunk)
		total += int64(n)
		if total >= next {
			runtime.ReadMemStats(&now)
			peak = max(peak, int64(now.HeapInuse)-int64(before.HeapInuse))
			next += 16 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != size {
		t.Fatalf("read %d bytes, want %d", total, size)
	}
	t.Logf("peak heap growth while streaming %d MB: %.2f MB", size>>20, float64(peak)/(1<<20))
	if peak > 32<<20 {
		t.Fatalf("heap grew by %d bytes while streaming", peak)
	}
}
