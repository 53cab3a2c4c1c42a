package server

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

const aRequest = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n"

// readFirstByte reads as fasthttp reads a request's first byte, with a deadline.
func readFirstByte(t *testing.T, c *conn) (byte, error) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	n, err := c.Read(b[:])
	if n != 1 {
		return 0, err
	}
	return b[0], err
}

// The first-byte read takes what has arrived in one read; the next read hands out the
// rest without asking the socket, and the buffer goes back to its pool.
func TestTheFirstByteReadReadsTheRequestAhead(t *testing.T) {
	c, client := connPair(t)
	if _, err := io.WriteString(client, aRequest+aRequest); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // both requests are in the socket
	if b, err := readFirstByte(t, c); b != 'G' || err != nil {
		t.Fatalf("first byte %q, %v", b, err)
	}
	if string(c.pending) != (aRequest + aRequest)[1:] || c.ahead == nil {
		t.Fatalf("read ahead %q", c.pending)
	}
	rest := make([]byte, 4096)
	n, err := c.Read(rest)
	if err != nil || string(rest[:n]) != (aRequest + aRequest)[1:] {
		t.Fatalf("rest = %q, %v", rest[:n], err)
	}
	if c.ahead != nil || c.pending != nil {
		t.Fatal("the read-ahead buffer was kept after it was read")
	}
	if c.guard.starts != 3 {
		t.Errorf("the guard began %d heads, want 3 (two requests read, the next one)", c.guard.starts)
	}
}

// A connection waiting for its next request holds no buffer: the wait ends at the
// read deadline with the buffer back in its pool, and deadlines keep working as
// deadline.go has them (the later one asked for wins).
func TestTheWaitForAFirstByteHoldsNoBuffer(t *testing.T) {
	c, _ := connPair(t)
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	asked := 300 * time.Millisecond
	if err := c.SetReadDeadline(time.Now().Add(asked)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var b [1]byte
	n, err := c.Read(b[:])
	if elapsed := time.Since(start); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) || elapsed < asked {
		t.Fatalf("read = %d, %v after %v; want a timeout after %v", n, err, elapsed, asked)
	}
	if c.ahead != nil || len(c.pending) != 0 || c.readErr != nil {
		t.Fatal("a buffer or an error was kept after a read that got nothing")
	}
}

// A first byte that arrives alone is handed out alone; the rest comes from the socket.
func TestAFirstByteThatArrivesAlone(t *testing.T) {
	c, client := connPair(t)
	go func() {
		io.WriteString(client, "G")
		time.Sleep(100 * time.Millisecond)
		io.WriteString(client, aRequest[1:])
	}()
	if b, err := readFirstByte(t, c); b != 'G' || err != nil {
		t.Fatalf("first byte %q, %v", b, err)
	}
	if c.ahead != nil {
		t.Fatal("the buffer was kept with nothing left in it")
	}
	got := make([]byte, 0, 64)
	for len(got) < len(aRequest)-1 {
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read after %q: %v", got, err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != aRequest[1:] {
		t.Fatalf("rest = %q", got)
	}
}

// A bare LF in a head read ahead: the bytes before it, then the error, as a read of
// the socket gives them (protocol.go answers the error).
func TestABareLFReadAhead(t *testing.T) {
	c, client := connPair(t)
	if _, err := io.WriteString(client, "GET /x HTTP/1.1\r\nHost: a\n\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if b, err := readFirstByte(t, c); b != 'G' || err != nil {
		t.Fatalf("first byte %q, %v", b, err)
	}
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if string(buf[:n]) != "ET /x HTTP/1.1\r\nHost: a" || err != nil {
		t.Fatalf("read = %q, %v; want the head up to the bare LF", buf[:n], err)
	}
	if n, err = c.Read(buf); n != 0 || !errors.Is(err, errBareLF) {
		t.Fatalf("read = %q, %v; want errBareLF", buf[:n], err)
	}
	if c.ahead != nil {
		t.Fatal("the read-ahead buffer was kept")
	}
}

// A client that closes instead of sending its next request ends the first-byte read.
func TestAFirstByteReadAtEOF(t *testing.T) {
	c, client := connPair(t)
	client.Close()
	if _, err := readFirstByte(t, c); err != io.EOF {
		t.Fatalf("first-byte read at EOF: %v, want io.EOF", err)
	}
	if c.ahead != nil {
		t.Fatal("the read-ahead buffer was kept")
	}
}
