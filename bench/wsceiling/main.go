// Command wsceiling is the WebSocket benchmark's ceiling: a bare fasthttp server that
// echoes every message with the same WebSocket library django-bolt uses
// (github.com/gobwas/ws), and serves a room per /ws/rooms/{n} path that broadcasts
// each message to every member. One goroutine reads each connection, the library's
// plain blocking way; no Python.
package main

import (
	"bufio"
	"flag"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/valyala/fasthttp"
)

// member is one open socket; its mutex keeps writes whole.
type member struct {
	mu   sync.Mutex
	conn net.Conn
}

func (m *member) write(op ws.OpCode, msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return wsutil.WriteServerMessage(m.conn, op, msg)
}

// hijacked hands a connection fasthttp let go of to ws.HTTPUpgrader.
type hijacked struct {
	conn   net.Conn
	header http.Header
}

func (h *hijacked) Header() http.Header {
	if h.header == nil {
		h.header = http.Header{}
	}
	return h.header
}
func (h *hijacked) Write(p []byte) (int, error) { return h.conn.Write(p) }
func (h *hijacked) WriteHeader(int)             {}
func (h *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReaderSize(h.conn, 16), bufio.NewWriterSize(h.conn, 512)), nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	var mu sync.Mutex
	rooms := map[string]map[*member]struct{}{}
	serve := func(path string, conn net.Conn) {
		defer conn.Close()
		me := &member{conn: conn}
		broadcast := strings.HasPrefix(path, "/ws/rooms/")
		if broadcast {
			mu.Lock()
			if rooms[path] == nil {
				rooms[path] = map[*member]struct{}{}
			}
			rooms[path][me] = struct{}{}
			mu.Unlock()
			defer func() {
				mu.Lock()
				delete(rooms[path], me)
				mu.Unlock()
			}()
		}
		for {
			msg, op, err := wsutil.ReadClientData(conn)
			if err != nil {
				return
			}
			if !broadcast {
				if me.write(op, msg) != nil {
					return
				}
				continue
			}
			mu.Lock()
			members := make([]*member, 0, len(rooms[path]))
			for m := range rooms[path] {
				members = append(members, m)
			}
			mu.Unlock()
			for _, m := range members {
				_ = m.write(ws.OpText, msg)
			}
		}
	}
	handler := func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		if !strings.HasPrefix(path, "/ws/") {
			ctx.SetBodyString(`{"ok":true}`)
			return
		}
		r := &http.Request{Method: http.MethodGet, ProtoMajor: 1, ProtoMinor: 1, Host: string(ctx.Host()), Header: http.Header{}}
		ctx.Request.Header.VisitAll(func(k, v []byte) { r.Header.Add(string(k), string(v)) })
		ctx.HijackSetNoResponse(true)
		ctx.Hijack(func(c net.Conn) {
			conn, _, _, err := ws.HTTPUpgrader{}.Upgrade(r, &hijacked{conn: c})
			if err != nil {
				return
			}
			serve(path, conn)
		})
	}
	log.Printf("wsceiling on %s", *addr)
	log.Fatal((&fasthttp.Server{Handler: handler, ReduceMemoryUsage: true}).ListenAndServe(*addr))
}
