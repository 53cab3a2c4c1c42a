package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
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
				if resp.StatusCode != 413 || string(text) != string(protocol.BodyTooLarge(1<<20)) || !resp.Close {
					t.Fatalf("status %d %q (close %v), want 413 and Connection: close", resp.StatusCode, text, resp.Close)
				}
				if err := <-sent; err != nil {
					t.Fatalf("sending the body: %v", err)
				}
				// Once the client stopped sending, the server closes its side.
				if n, err := reader.Read(make([]byte, 1)); n != 0 || err != io.EOF {
					t.Fatalf("after the answer: %d bytes, %v; want the server to close", n, err)
				}
			})
		}
	}
	if py.doCount() != 0 {
		t.Fatalf("python ran for a body over the limit")
	}
	assertNoSpooledFiles(t)
}
