// Command wsload drives the WebSocket benchmarks and prints one JSON line.
//
//	echo:      -conns C connections each send a message and wait for its echo, for -duration
//	           ("{i}" in -url becomes the connection's number: one room each)
//	broadcast: -conns C idle connections join one room; after -idle one member sends a
//	           message and the time until every member has it is measured
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8000/ws/echo", "WebSocket URL")
	mode := flag.String("mode", "echo", "echo or broadcast")
	conns := flag.Int("conns", 64, "connections")
	duration := flag.Duration("duration", 10*time.Second, "echo: how long")
	idle := flag.Duration("idle", 5*time.Second, "broadcast: how long the idle connections are held first")
	size := flag.Int("size", 32, "message size in bytes")
	flag.Parse()
	var out map[string]any
	switch *mode {
	case "echo":
		out = echo(*url, *conns, *duration, *size)
	case "broadcast":
		out = broadcast(*url, *conns, *idle)
	default:
		fmt.Fprintln(os.Stderr, "unknown -mode")
		os.Exit(2)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func dial(url string) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	c, _, err := d.Dial(url, nil)
	return c, err
}

func echo(url string, conns int, duration time.Duration, size int) map[string]any {
	msg := []byte(strings.Repeat("x", size))
	var done, errs atomic.Int64
	stop := time.Now().Add(duration)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(strings.ReplaceAll(url, "{i}", fmt.Sprint(i)))
			if err != nil {
				errs.Add(1)
				return
			}
			defer c.Close()
			for time.Now().Before(stop) {
				if c.WriteMessage(websocket.TextMessage, msg) != nil {
					errs.Add(1)
					return
				}
				if _, _, err := c.ReadMessage(); err != nil {
					errs.Add(1)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	return map[string]any{"mode": "echo", "conns": conns, "messages": done.Load(), "seconds": secs,
		"rate": float64(done.Load()) / secs, "errors": errs.Load()}
}

func broadcast(url string, conns int, idle time.Duration) map[string]any {
	clients := make([]*websocket.Conn, 0, conns)
	var errs int
	var got atomic.Int64
	var wg sync.WaitGroup
	var sent atomic.Int64 // when the broadcast was sent, Unix nanoseconds
	var last atomic.Int64 // when the last member received it
	for i := 0; i < conns; i++ {
		c, err := dial(url)
		if err != nil {
			errs++
			continue
		}
		clients = append(clients, c)
		// Read from the start: the library answers the server's pings while reading,
		// as a browser would for an idle socket.
		wg.Add(1)
		go func(c *websocket.Conn) {
			defer wg.Done()
			if _, _, err := c.ReadMessage(); err == nil && sent.Load() != 0 {
				got.Add(1)
				now := time.Now().UnixNano()
				for {
					prev := last.Load()
					if now <= prev || last.CompareAndSwap(prev, now) {
						break
					}
				}
			}
		}(c)
	}
	time.Sleep(idle)
	start := time.Now()
	sent.Store(start.UnixNano())
	if len(clients) > 0 {
		_ = clients[0].WriteMessage(websocket.TextMessage, []byte("go"))
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
	}
	elapsed := 0.0
	if l := last.Load(); l != 0 {
		elapsed = float64(l-start.UnixNano()) / 1e9
	}
	for _, c := range clients {
		c.Close()
	}
	return map[string]any{"mode": "broadcast", "conns": len(clients), "received": got.Load(),
		"seconds": elapsed, "dial_errors": errs}
}
