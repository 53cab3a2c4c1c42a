package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// seenRequest is a deep copy of what the server handed to Python: the server's
// buffers are reused once Do returns, so nothing may be kept by reference.
type seenRequest struct {
	Handler int
	Want    protocol.Want
	Method  string
	Path    string
	Params  []string // name, value, name, value...
	Query   []byte   // nil when the server sent none
	Headers []string // name, value, ...
	Body    []byte   // nil when the server sent none, or when it sent BodyFile
	// BodyFile is the path of the file the body was spooled to ("" when sent as bytes).
	BodyFile string
	Context  map[string]any
}

// header returns the value of the first header named name (exactly as sent).
func (r seenRequest) header(name string) (string, bool) {
	for i := 0; i+1 < len(r.Headers); i += 2 {
		if r.Headers[i] == name {
			return r.Headers[i+1], true
		}
	}
	return "", false
}

func copyPairs(n int, pair func(int) protocol.KV) []string {
	var out []string
	for i := 0; i < n; i++ {
		kv := pair(i)
		out = append(out, string(kv.Key), string(kv.Value))
	}
	return out
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// pyReply is what a fake handler answers.
type pyReply struct {
	status    int
	headers   []string // name, value pairs
	body      string
	stream    int // used when streaming is set
	streaming bool
	file      string // a SendFile body
	noAnswer  bool   // Do returns an error: no answer before the deadline
	err       error
}

// pullFunc answers the n-th (0-based) pull of a stream: status 0 = chunk, 1 = end,
// 2 = failure with the message in chunk. It may block.
type pullFunc func(stream, n int) (status int, chunk string)

// fakePython implements Python: it records every call and answers requests from a
// per-handler function and stream pulls from pull.
type fakePython struct {
	handlers map[int]func(seenRequest) pyReply
	pull     pullFunc

	mu       sync.Mutex
	requests []seenRequest
	pulls    map[int]int // pulls per stream id
	closed   []int
	closedCh chan int // receives every CloseStream id
}

func newFake(handlers map[int]func(seenRequest) pyReply) *fakePython {
	return &fakePython{handlers: handlers, pulls: map[int]int{}, closedCh: make(chan int, 64)}
}

// answer is a handler that always replies status with a text body.
func answer(status int, body string, headers ...string) func(seenRequest) pyReply {
	return func(seenRequest) pyReply { return pyReply{status: status, body: body, headers: headers} }
}

// sendFile answers with a file for Go to send, as serialize does for a FileResponse.
func sendFile(path string, headers ...string) func(seenRequest) pyReply {
	return func(seenRequest) pyReply { return pyReply{status: 200, file: path, headers: headers} }
}

func (f *fakePython) Do(req *protocol.Request, resp *protocol.Response) error {
	seen := seenRequest{
		Handler: req.Handler,
		Want:    req.Want,
		Method:  string(req.Method()),
		Path:    string(req.Path()),
		Params:  copyPairs(req.NParams, req.Param),
		Query:   cloneBytes(req.Query),
		Headers: copyPairs(req.NumHeaders(), req.Header),
		Context: req.Context,
	}
	if req.BodyFile {
		seen.BodyFile = string(req.Body)
	} else {
		seen.Body = cloneBytes(req.Body)
	}
	f.mu.Lock()
	f.requests = append(f.requests, seen)
	h := f.handlers[req.Handler]
	f.mu.Unlock()

	resp.Stream = -1 // as the real loop does: every field is written
	if h == nil {
		resp.Err = fmt.Errorf("fake python: no handler %d", req.Handler)
		return nil
	}
	r := h(seen)
	if r.noAnswer {
		return errNoAnswer
	}
	resp.Status = r.status
	resp.Body = append(resp.Body[:0], r.body...)
	setPyHeaders(resp, r.headers...)
	resp.Err = r.err
	resp.File = r.file
	if r.streaming {
		resp.Stream = r.stream
	}
	return nil
}

// errNoAnswer stands for pyhost.ErrNoAnswer: the deadline passed or the loop closed.
var errNoAnswer = errors.New("fake python: no answer")

func (f *fakePython) Pull(stream int, resp *protocol.Response) {
	f.mu.Lock()
	n := f.pulls[stream]
	f.pulls[stream] = n + 1
	pull := f.pull
	f.mu.Unlock()
	if pull == nil {
		resp.Status, resp.Body = 2, []byte("fake python: no streams")
		return
	}
	status, chunk := pull(stream, n)
	resp.Status = status
	resp.Body = append(resp.Body[:0], chunk...)
}

func (f *fakePython) CloseStream(stream int) {
	f.mu.Lock()
	f.closed = append(f.closed, stream)
	f.mu.Unlock()
	select {
	case f.closedCh <- stream:
	default:
	}
}

func (f *fakePython) doCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakePython) lastRequest(t *testing.T) seenRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("Python was never called")
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakePython) pullCount(stream int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pulls[stream]
}

func (f *fakePython) closedStreams() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.closed...)
}

// setPyHeaders appends Python response headers to resp (name, value pairs).
func setPyHeaders(resp *protocol.Response, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		resp.AddHeader([]byte(kv[i]), []byte(kv[i+1]))
	}
}

func TestResponseHeaders(t *testing.T) {
	var resp protocol.Response
	resp.Reset()
	setPyHeaders(&resp, "content-type", "text/plain", "x-a", "")
	if resp.NumHeaders() != 2 {
		t.Fatalf("NumHeaders = %d, want 2", resp.NumHeaders())
	}
	for i, want := range [][2]string{{"content-type", "text/plain"}, {"x-a", ""}} {
		name, value := resp.Header(i)
		if string(name) != want[0] || string(value) != want[1] {
			t.Errorf("header %d = %q: %q, want %q: %q", i, name, value, want[0], want[1])
		}
	}
	resp.Reset()
	if resp.NumHeaders() != 0 {
		t.Errorf("after Reset NumHeaders = %d", resp.NumHeaders())
	}
}

// ---- server construction ---------------------------------------------------------

// logBuffer collects the server's error log; safe for concurrent writers.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testSettings are the defaults django_bolt.conf sends, with the access log off.
func testSettings() Settings {
	return Settings{
		MaxUploadSize: 1 << 20, MaxHeaderSize: 8192, MaxHeaderBytes: 32768, MaxHeaderCount: 100,
		ReadTimeout: 30, WriteTimeout: 30, KeepAlive: 75, MaxConnections: 10000, ShutdownTimeout: 30,
		AccessLog: "off", AccessLogSample: 1,
	}
}

func newTable(routes ...RouteSpec) *Table {
	return &Table{Routes: routes, Settings: testSettings()}
}

// newTestServer compiles table; the server's shared state is released at cleanup.
func newTestServer(t testing.TB, table *Table, py Python) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s, err := New(table, py, log.New(logs, "", 0))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.shared.Close() })
	return s, logs
}

var testPeer = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

// newCtx builds an in-memory request; headers are name, value pairs.
func newCtx(method, uri string, headers ...string) *fasthttp.RequestCtx {
	return newCtxBody(method, uri, nil, headers...)
}

func newCtxBody(method, uri string, body []byte, headers ...string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	if body != nil {
		req.SetBody(body)
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, testPeer, nil)
	return ctx
}

// sentResponse is a response as it goes out on a connection.
type sentResponse struct {
	status int
	raw    string // status line and header block
	body   string
	resp   *fasthttp.Response
}

// get returns a header value, "" when absent.
func (r sentResponse) get(name string) string { return string(r.resp.Header.Peek(name)) }

// count is the number of header lines named name.
func (r sentResponse) count(name string) int {
	return strings.Count(strings.ToLower(r.raw), "\r\n"+strings.ToLower(name)+":")
}

// send serializes ctx's response as fasthttp.Server would (no body for HEAD) and
// parses it back.
func send(t *testing.T, ctx *fasthttp.RequestCtx) sentResponse {
	t.Helper()
	r, err := trySend(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func trySend(ctx *fasthttp.RequestCtx) (sentResponse, error) {
	head := ctx.IsHead()
	ctx.Response.SkipBody = head
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := ctx.Response.Write(bw); err != nil {
		return sentResponse{}, err
	}
	if err := bw.Flush(); err != nil {
		return sentResponse{}, err
	}
	raw := buf.String()
	out := &fasthttp.Response{SkipBody: head}
	if err := out.Read(bufio.NewReader(&buf)); err != nil {
		return sentResponse{}, fmt.Errorf("unreadable response %q: %w", raw, err)
	}
	end := strings.Index(raw, "\r\n\r\n")
	if head && len(raw) != end+4 {
		return sentResponse{}, fmt.Errorf("HEAD response carries a body: %q", raw[end+4:])
	}
	return sentResponse{status: out.StatusCode(), raw: raw[:end+2], body: string(out.Body()), resp: out}, nil
}
