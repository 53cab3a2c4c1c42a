package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"djangobolt/protocol"
)

// A client that sends a whole body over the limit before it reads the answer gets the
// 413, and its sending is never cut by a reset: the server reads and discards the rest of
// the body before it closes.
func TestAClientSendingABodyOverTheLimitReadsThe413(t *testing.T) {
	addr, py, _ := streamingServer(t, 1024)
	body := multipartBody(2 << 20) // the test settings' limit is 1 MiB
	for _, framing := range []string{"content-length", "chunked"} {
		for _, path := range []string{"/upload", "/json"} {
			t.Run(framing+path, func(t *testing.T) {
				head := "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
				payload := body
				if framing == "chunked" {
					head += "Transfer-Encoding: chunked\r\n\r\n"
					payload = append([]byte(fmt.Sprintf("%x\r\n", len(body))), body...)
					payload = append(payload, "\r\n0\r\n\r\n"...)
				} else {
					head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))
				}
				status, text := sendWholeThenRead(t, addr, head, payload)
				if status != 413 || text != string(protocol.BodyTooLarge(1<<20)) {
					t.Fatalf("status %d %q, want 413", status, text)
				}
			})
		}
	}
	if py.doCount() != 0 {
		t.Fatalf("python ran for a body over the limit")
	}
	assertNoSpooledFiles(t)
}

// The same for a file refused by its limits while the body streams in (422).
func TestAClientSendingAFileOverItsLimitReadsThe422(t *testing.T) {
	maxSize := 1000
	addr, py, _ := limitedServer(t, FileLimit{Field: "img", MaxSize: &maxSize})
	body := multipartOf(filePart{"img", "a.png", "image/png", strings.Repeat("x", 900<<10)}) // under the 1 MiB body limit
	head := fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n", len(body))
	status, text := sendWholeThenRead(t, addr, head, body)
	if status != 422 || !strings.Contains(text, "file_too_large") {
		t.Fatalf("status %d %q, want 422 file_too_large", status, text)
	}
	if py.doCount() != 0 {
		t.Fatalf("python ran for a refused upload")
	}
	assertNoSpooledFiles(t)
}

// sendWholeThenRead writes head and payload on a new connection while reading the
// answer, and fails the test unless the whole payload was sent, the answer closes the
// connection and the server closes its side once the client stopped sending.
func sendWholeThenRead(t *testing.T, addr, head string, payload []byte) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	sent := make(chan error, 1)
	go func() {
		_, err := conn.Write(append([]byte(head), payload...))
		if err == nil {
			err = conn.(*net.TCPConn).CloseWrite()
		}
		sent <- err
	}()
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	text, _ := io.ReadAll(resp.Body)
	if !resp.Close {
		t.Fatalf("status %d %q without Connection: close", resp.StatusCode, text)
	}
	if err := <-sent; err != nil {
		t.Fatalf("sending the body: %v", err)
	}
	if n, err := reader.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want the server to close", n, err)
	}
	return resp.StatusCode, string(text)
}

// A refused upload whose client neither sends more nor closes keeps only its own socket
// while the server lingers on it: with room for one connection, the next client is
// served at once instead of being refused while the first one drains.
func TestALingeringConnectionLeavesItsPlaceToTheNextClient(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	table := newTable(
		RouteSpec{Method: "POST", Path: "/upload", HandlerID: 0, Needs: []string{"form"}, Name: "upload"},
		RouteSpec{Method: "GET", Path: "/json", HandlerID: 1, Name: "json"},
	)
	table.Settings.MemorySpoolThreshold = 1024
	table.Settings.MaxConnections = 1
	ok := func(seenRequest) pyReply { return pyReply{status: 200, body: "ok"} }
	s, _ := newTestServer(t, table, newFake(map[int]func(seenRequest) pyReply{0: ok, 1: ok}))
	addr := serveLoopback(t, s)

	refused, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	refused.SetDeadline(time.Now().Add(30 * time.Second))
	head := "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", 2<<20) // over the 1 MiB limit
	if _, err := refused.Write(append([]byte(head), multipartBody(64<<10)...)); err != nil {
		t.Fatal(err)
	}
	reader := bufio.NewReader(refused)
	resp, err := http.ReadResponse(reader, nil)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("the upload over the limit got %v, %v; want 413", resp, err)
	}
	io.ReadAll(resp.Body)
	// The server has sent its FIN: it lingers now, while the client stays silent with
	// its socket open.
	if n, err := reader.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want the server to stop sending", n, err)
	}

	// fasthttp takes back the serving goroutine a moment after the FIN; before, it
	// kept it for the whole linger (lingerTimeout), refusing every other client.
	var answer *http.Response
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		answer = getOn(t, addr, "/json")
		if answer.StatusCode != 503 || time.Since(start) > lingerTimeout/2 {
			break
		}
	}
	text, _ := io.ReadAll(answer.Body)
	if answer.StatusCode != 200 || string(text) != "ok" {
		t.Fatalf("the next client got %d %q while the first one lingered, want 200", answer.StatusCode, text)
	}
}

// getOn sends GET path on a new connection and returns the answer, its body read.
func getOn(t *testing.T, addr, path string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	answer, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	text, _ := io.ReadAll(answer.Body)
	answer.Body = io.NopCloser(strings.NewReader(string(text)))
	return answer
}
