package server

import (
	"bytes"
	"io"
	"testing"

	"github.com/gobwas/ws"
)

// One client's round trips through the Go side of a WebSocket (poller, reader, the
// fake loop's echo, the direct write) over loopback: a small text message, as in a chat.
func BenchmarkWebSocketEchoOverLoopback(b *testing.B) {
	addr, _, _ := startWS(b, wsReadTable(nil))
	c := dialRaw(b, addr, "/ws/echo", nil)
	msg := bytes.Repeat([]byte("m"), 64)
	frame := clientFrame(true, ws.OpText, msg)
	answer := make([]byte, 2+len(msg))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(frame); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c.r, answer); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if !bytes.Equal(answer[2:], msg) {
		b.Fatalf("echo %q", answer)
	}
}
