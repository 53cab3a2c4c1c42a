package server

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// connPair returns a server-side conn (wrapped as the listener wraps it) and the client's end.
func connPair(t *testing.T) (*conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := newListener(ln)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); nc.Close() })
	return nc.(*conn), client
}

// readTimesOut reads from r with nothing to read and returns how long until it failed.
func readTimesOut(t *testing.T, r interface{ Read([]byte) (int, error) }) time.Duration {
	t.Helper()
	start := time.Now()
	n, err := r.Read(make([]byte, 16))
	elapsed := time.Since(start)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %d, %v; want a timeout", n, err)
	}
	return elapsed
}

func TestReadTimesOutAtTheLaterDeadlineAskedFor(t *testing.T) {
	c, _ := connPair(t)
	// The keep-alive wait then the read timeout, as fasthttp sets them: the second is
	// later than the first, so the socket keeps the first and the read resumes after it.
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	asked := 400 * time.Millisecond
	if err := c.SetReadDeadline(time.Now().Add(asked)); err != nil {
		t.Fatal(err)
	}
	if elapsed := readTimesOut(t, c); elapsed < asked || elapsed > asked+3*time.Second {
		t.Fatalf("read timed out after %v, want %v", elapsed, asked)
	}
}

func TestReadTimesOutAtAnEarlierDeadline(t *testing.T) {
	c, _ := connPair(t)
	if err := c.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	asked := 150 * time.Millisecond
	if err := c.SetReadDeadline(time.Now().Add(asked)); err != nil {
		t.Fatal(err)
	}
	if elapsed := readTimesOut(t, c); elapsed < asked || elapsed > asked+3*time.Second {
		t.Fatalf("read timed out after %v, want %v", elapsed, asked)
	}
	// A deadline that passed stays passed: the next read fails at once.
	if elapsed := readTimesOut(t, c); elapsed > time.Second {
		t.Fatalf("second read took %v", elapsed)
	}
}

func TestAClearedDeadlineLetsTheReadWait(t *testing.T) {
	c, client := connPair(t)
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		client.Write([]byte("late"))
	}()
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read = %q, %v; want the late bytes", buf[:n], err)
	}
	// A new deadline applies again.
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	readTimesOut(t, c)
}

// After SetDeadline (fasthttp's hand-over of a hijacked connection) the socket holds
// every deadline itself: code reading beneath the conn sees exactly the one asked for.
func TestDeadlinesAfterHandOverAreTheSockets(t *testing.T) {
	c, _ := connPair(t)
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	asked := 400 * time.Millisecond
	if err := c.SetReadDeadline(time.Now().Add(asked)); err != nil {
		t.Fatal(err)
	}
	if elapsed := readTimesOut(t, c.Conn); elapsed < asked-20*time.Millisecond || elapsed > asked+3*time.Second {
		t.Fatalf("socket read timed out after %v, want %v", elapsed, asked)
	}
}
