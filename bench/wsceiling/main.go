// Command wsceiling is the WebSocket benchmark's ceiling: a bare fasthttp server that
// echoes every message with the same WebSocket library django-bolt uses, and serves a
// room per /ws/rooms/{n} path that broadcasts each message to every member. No Python.
package main

import (
	"flag"
	"log"
	"strings"
	"sync"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	up := websocket.FastHTTPUpgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*fasthttp.RequestCtx) bool { return true },
	}
	var mu sync.Mutex
	rooms := map[string]map[*websocket.Conn]*sync.Mutex{}
	handler := func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		if !strings.HasPrefix(path, "/ws/") {
			ctx.SetBodyString(`{"ok":true}`)
			return
		}
		_ = up.Upgrade(ctx, func(c *websocket.Conn) {
			defer c.Close()
			broadcast := strings.HasPrefix(path, "/ws/rooms/")
			if broadcast {
				mu.Lock()
				if rooms[path] == nil {
					rooms[path] = map[*websocket.Conn]*sync.Mutex{}
				}
				rooms[path][c] = &sync.Mutex{}
				mu.Unlock()
				defer func() {
					mu.Lock()
					delete(rooms[path], c)
					mu.Unlock()
				}()
			}
			for {
				kind, msg, err := c.ReadMessage()
				if err != nil {
					return
				}
				if !broadcast {
					if c.WriteMessage(kind, msg) != nil {
						return
					}
					continue
				}
				mu.Lock()
				room := rooms[path]
				members := make(map[*websocket.Conn]*sync.Mutex, len(room))
				for m, l := range room {
					members[m] = l
				}
				mu.Unlock()
				for m, l := range members {
					l.Lock()
					_ = m.WriteMessage(websocket.TextMessage, msg)
					l.Unlock()
				}
			}
		})
	}
	log.Printf("wsceiling on %s", *addr)
	log.Fatal((&fasthttp.Server{Handler: handler, ReduceMemoryUsage: true}).ListenAndServe(*addr))
}
