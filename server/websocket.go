package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
	"djangobolt/router"
)

// WebSockets. An upgrade request is checked entirely in Go before any Python runs, in
// this order, each refusal an HTTP answer:
//
//	Connection/Upgrade headers, then GET, version 13 and a valid key (else 400/405 text)
//	→ open sockets < ws_max_connections (503)
//	→ route rate limit (429) → Origin against the global CORS origins (403)
//	→ authentication (401) → guards (403)
//
// Then the handler starts on the event loop and the 101 waits for its accept() (so
// accept(subprotocol=, headers=) shape the handshake) or close() (the handshake
// completes and the close frame follows). Frames are read and written with
// github.com/gobwas/ws on the hijacked connection, by goroutines that run only while a
// socket has bytes to read or messages to write (websocket_poll.go): an idle
// connection is a small struct, not a parked goroutine and its buffers. Whole messages
// cross to Python as items in the loop's batches, and what handlers send comes back in
// one call per batch (protocol/websocket.go).

// WebSocketSpec is one @api.websocket route as Python describes it.
type WebSocketSpec struct {
	Path      string                  `msgpack:"path"`
	HandlerID int                     `msgpack:"handler_id"`
	Needs     []string                `msgpack:"needs"`
	Security  *middleware.RouteConfig `msgpack:"security"`
	Name      string                  `msgpack:"name"`
}

// WebSocketPython is what WebSockets need from the interpreter side, beyond Python.
// *pyhost.Loop implements it; the in-process test client does not, and then an upgrade
// that passes the checks is answered with the route it matched (see testHandshake).
type WebSocketPython interface {
	WSOpen(conn uint64, req *protocol.Request)
	WSMessage(conn uint64, text bool, data []byte, pending *atomic.Int32)
	WSClosed(conn uint64, code int, reason string)
	SetWSSink(protocol.WSSink)
}

type wsRoute struct {
	spec     WebSocketSpec
	want     protocol.Want
	pipeline *middleware.Pipeline
}

// wsHub holds a server's WebSocket routes and open connections.
type wsHub struct {
	py       WebSocketPython // nil: test mode
	router   *router.Router
	routes   []*wsRoute // by handler id
	shared   *middleware.Shared
	settings wsSettings
	logf     func(format string, args ...any)

	poller *wsPoller     // watches the open sockets (nil: test mode)
	stop   chan struct{} // ends the sweeper

	mu       sync.Mutex
	conns    map[uint64]*wsConn
	draining bool
	nextID   atomic.Uint64

	open        atomic.Int64 // connections past the checks and not finished
	messagesIn  atomic.Uint64
	messagesOut atomic.Uint64
}

type wsSettings struct {
	maxConnections int64
	channelSize    int32
	heartbeat      time.Duration
	clientTimeout  time.Duration
	maxMessage     int64
}

var methodGETBytes = []byte(fasthttp.MethodGet)

// newWSHub compiles the WebSocket routes; nil when there are none.
func newWSHub(t *Table, py Python, shared *middleware.Shared, logf func(string, ...any)) (*wsHub, error) {
	if len(t.WebSockets) == 0 {
		return nil, nil
	}
	st := &t.Settings
	h := &wsHub{
		router: router.New(),
		shared: shared,
		logf:   logf,
		conns:  map[uint64]*wsConn{},
		settings: wsSettings{
			maxConnections: int64(st.WSMaxConnections),
			channelSize:    int32(st.WSChannelSize),
			heartbeat:      seconds(st.WSHeartbeatInterval),
			clientTimeout:  seconds(st.WSClientTimeout),
			maxMessage:     int64(st.WSMaxMessageSize),
		},
	}
	if wp, ok := py.(WebSocketPython); ok {
		var err error
		if h.poller, err = newWSPoller(h); err != nil {
			return nil, fmt.Errorf("WebSockets: %w", err)
		}
		h.py = wp
		h.stop = make(chan struct{})
		go h.sweep(h.stop)
		wp.SetWSSink(h.dispatch)
	}
	for _, spec := range t.WebSockets {
		if err := h.router.Add(fasthttp.MethodGet, spec.Path, spec.HandlerID); err != nil {
			return nil, fmt.Errorf("%w (WebSocket handler %s)", err, spec.Name)
		}
		needs, err := planNeeds(spec.Needs, false)
		if err != nil {
			return nil, fmt.Errorf("WebSocket %s: %w", spec.Path, err)
		}
		r := &wsRoute{spec: spec, want: needs.want}
		cfg := middleware.RouteConfig{}
		if spec.Security != nil {
			cfg = *spec.Security
		}
		cfg.Route = "WEBSOCKET " + spec.Path
		if r.pipeline, err = middleware.NewPipeline(cfg, shared); err != nil {
			return nil, err
		}
		for len(h.routes) <= spec.HandlerID {
			h.routes = append(h.routes, nil)
		}
		h.routes[spec.HandlerID] = r
	}
	return h, nil
}

// isWebSocketPath reports whether path has a WebSocket route (for the 400 answered to
// a plain request there).
func (h *wsHub) isWebSocketPath(path []byte) bool {
	if h == nil {
		return false
	}
	var ps router.Params
	_, ok := h.router.Lookup(methodGETBytes, path, &ps)
	return ok
}

// serveWebSocket answers an upgrade request; false when ctx is not one.
func (s *Server) serveWebSocket(ctx *fasthttp.RequestCtx, x *exchange) bool {
	h := s.ws
	if h == nil || !isWebSocketUpgrade(ctx) {
		return false
	}
	if status, text := handshakeError(ctx); status != 0 {
		middleware.WriteText(ctx, status, text)
		return true
	}
	path := ctx.URI().PathOriginal()
	id, ok := h.router.Lookup(methodGETBytes, path, &x.params)
	if !ok {
		h.notFound(ctx, path)
		return true
	}
	r := h.routes[id]
	// The slot is taken before the checks, so that concurrent upgrades cannot all pass a
	// count taken before any of them was added; a refusal gives it back.
	if h.isDraining() {
		middleware.WriteJSON(ctx, fasthttp.StatusServiceUnavailable, protocol.BodyTooManyWebSockets)
		return true
	}
	if h.open.Add(1) > h.settings.maxConnections {
		h.open.Add(-1)
		middleware.WriteJSON(ctx, fasthttp.StatusServiceUnavailable, protocol.BodyTooManyWebSockets)
		return true
	}
	auth, handled := r.pipeline.BeforeWebSocket(ctx, h.shared)
	if handled {
		h.open.Add(-1)
		return true
	}
	if h.py == nil {
		h.open.Add(-1)
		testHandshake(ctx, id, &x.params, auth)
		return true
	}
	c := h.register(r)
	decision := c.decision
	req := s.webSocketRequest(ctx, r, auth)
	h.py.WSOpen(c.id, req)
	var d wsDecision
	select {
	case d = <-decision:
		// Python answered, so it has built the handler's request from req: req is
		// garbage from here, not kept for the life of the connection.
	case <-time.After(h.settings.clientTimeout):
		// The handler neither accepted nor closed: refuse, and tell it the client is gone.
		c.abandon()
		middleware.WriteJSON(ctx, fasthttp.StatusServiceUnavailable, protocol.BodyWebSocketNoAccept)
		return true
	}
	c.upgrade(ctx, d)
	return true
}

// notFound completes the handshake of an upgrade to a path without a WebSocket route
// and closes with 1000 "Not Found"; the test client gets a 404 instead.
func (h *wsHub) notFound(ctx *fasthttp.RequestCtx, path []byte) {
	if h.py == nil {
		middleware.WriteJSON(ctx, fasthttp.StatusNotFound, protocol.ErrorJSON("No WebSocket handler found for path: "+string(path)))
		return
	}
	r := handshakeRequest(ctx)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(hijacked net.Conn) {
		nc, _, err := upgradeHijacked(hijacked, r, nil) // frames sent before the 101 go unread
		if err != nil {
			_ = hijacked.Close()
			return
		}
		deadline := time.Now().Add(time.Second)
		_ = nc.SetDeadline(deadline)
		_ = ws.WriteFrame(nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "Not Found")))
		_, _ = ws.ReadHeader(nc) // the client's close frame, if it answers
		_ = nc.Close()
	})
}

// testHandshake answers the in-process test client: 101 with the matched route, its
// decoded path parameters and the auth context, for the client to run the handler.
func testHandshake(ctx *fasthttp.RequestCtx, id int, ps *router.Params, auth *middleware.Auth) {
	params := make(map[string]string, ps.Len())
	for i := 0; i < ps.Len(); i++ {
		params[ps.Name(i)] = string(appendUnescaped(nil, ps.Value(i)))
	}
	var authCtx map[string]any
	if auth != nil {
		authCtx = authContext(auth)
	}
	body, err := json.Marshal(map[string]any{"handler_id": id, "params": params, "context": authCtx})
	if err != nil {
		middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyInternal)
		return
	}
	middleware.WriteJSON(ctx, fasthttp.StatusSwitchingProtocols, body)
}

// webSocketRequest copies what the handler's binding plan reads into a request of its
// own, which the loop reads when it starts the handler.
func (s *Server) webSocketRequest(ctx *fasthttp.RequestCtx, r *wsRoute, auth *middleware.Auth) *protocol.Request {
	req := new(protocol.Request)
	req.Handler = r.spec.HandlerID
	req.Want = r.want
	path := ctx.URI().PathOriginal()
	req.Begin(methodGETBytes, path)
	var ps router.Params
	h := s.ws
	h.router.Lookup(methodGETBytes, path, &ps)
	if r.want&protocol.WantParams != 0 {
		for i := 0; i < ps.Len(); i++ {
			addPair(req, []byte(ps.Name(i)), ps.Value(i), false, true)
		}
		req.NParams = ps.Len()
	}
	// Headers always cross: ws.headers, ws.cookies and ws.client read them.
	req.Want |= protocol.WantHeaders | protocol.WantQuery
	ctx.Request.Header.VisitAll(func(name, value []byte) {
		addPair(req, name, value, true, false)
	})
	addPair(req, []byte("x-bolt-client"), []byte(ctx.RemoteAddr().String()), false, false)
	req.Query = append([]byte(nil), ctx.URI().QueryString()...)
	if auth != nil {
		req.Context = authContext(auth)
	} else if r.spec.Security != nil {
		req.Context = map[string]any{}
	}
	return req
}

func (h *wsHub) register(r *wsRoute) *wsConn {
	c := &wsConn{
		id:       h.nextID.Add(1),
		hub:      h,
		route:    r,
		decision: make(chan wsDecision, 1),
	}
	h.mu.Lock()
	h.conns[c.id] = c
	h.mu.Unlock()
	return c
}

func (h *wsHub) forget(c *wsConn) {
	h.mu.Lock()
	delete(h.conns, c.id)
	h.mu.Unlock()
	h.open.Add(-1)
}

// lookup finds an open connection by id.
func (h *wsHub) lookup(id uint64) *wsConn {
	h.mu.Lock()
	c := h.conns[id]
	h.mu.Unlock()
	return c
}

// stopWatching ends the poller and the sweeper once no socket is open.
func (h *wsHub) stopWatching() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stop != nil && len(h.conns) == 0 {
		close(h.stop)
		h.stop = nil
		h.poller.close()
	}
}

func (h *wsHub) isDraining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

// dispatch routes the commands of one batch to their connections. It runs on the
// event-loop thread and never blocks.
func (h *wsHub) dispatch(cmds []protocol.WSCommand) {
	for i := range cmds {
		h.mu.Lock()
		c := h.conns[cmds[i].Conn]
		h.mu.Unlock()
		if c != nil {
			c.command(&cmds[i])
		}
	}
}

// shutdown lets open WebSockets finish until ctx is done, then closes the rest with
// 1001 (going away); each handler sees that code.
func (h *wsHub) shutdown(ctx context.Context) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.draining = true
	h.mu.Unlock()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	defer h.stopWatching()
	for h.open.Load() > 0 {
		select {
		case <-ctx.Done():
			h.closeAll(int(ws.StatusGoingAway), "Server shutting down")
			return
		case <-tick.C:
		}
	}
}

func (h *wsHub) closeAll(code int, reason string) {
	h.mu.Lock()
	open := make([]*wsConn, 0, len(h.conns))
	for _, c := range h.conns {
		open = append(open, c)
	}
	h.mu.Unlock()
	for _, c := range open {
		c.serverClose(code, reason)
	}
	// Each ends when its client answers, or when its close handshake gives up.
	for deadline := time.Now().Add(wsCloseWait); h.open.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// counts are the hub's gauge and message counters, for the metrics.
func (h *wsHub) counts() (open int64, in, out uint64) {
	if h == nil {
		return 0, 0, 0
	}
	return h.open.Load(), h.messagesIn.Load(), h.messagesOut.Load()
}
