package server

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
)

// observer adds what operators need around each request: a request id, an access log
// line and metrics. Each is off unless its setting turns it on, and then costs only
// what it does.
type observer struct {
	requestIDs  bool
	metricsPath []byte // nil: no metrics endpoint
	meter       *meter

	logFormat string       // "", "text" or "json"
	logRule   logPolicy    // requests outside any route's policy
	logRules  []*logPolicy // by handler id; nil: logRule
	logMu     sync.Mutex
	logOut    *bufio.Writer
	stopFlush chan struct{}
}

const headerRequestID = "X-Request-ID"

func newObserver(s *Server, p Process) (*observer, error) {
	st := &s.table.Settings
	o := &observer{requestIDs: st.RequestID}
	if st.Metrics {
		o.metricsPath = []byte(st.MetricsPath)
		var err error
		if o.meter, err = newMeter(s, p); err != nil {
			return nil, err
		}
	}
	if st.AccessLog != "off" {
		o.logFormat = st.AccessLog
		o.logRule, o.logRules = logPolicies(st, s.routes)
		o.logOut = bufio.NewWriterSize(os.Stderr, 64*1024)
		o.stopFlush = make(chan struct{})
		go o.flushLoop()
	}
	return o, nil
}

func (o *observer) active() bool { return o.requestIDs || o.meter != nil || o.logFormat != "" }

// observed is the server's request handler: handle plus the observer's work.
func (s *Server) observed(ctx *fasthttp.RequestCtx) {
	o := s.obs
	if !o.active() {
		s.handle(ctx)
		return
	}
	if o.metricsPath != nil && bytes.Equal(ctx.Path(), o.metricsPath) {
		if !ctx.IsGet() && !ctx.IsHead() {
			middleware.WriteJSON(ctx, fasthttp.StatusMethodNotAllowed, protocol.BodyMethodNotAllowed)
			ctx.Response.Header.Set("Allow", "GET, HEAD")
			return
		}
		o.meter.serve(ctx, s)
		return
	}
	start := time.Now()
	if o.requestIDs {
		ensureRequestID(ctx)
	}
	id := s.handle(ctx)
	elapsed := time.Since(start)
	if o.requestIDs {
		ctx.Response.Header.SetBytesV(headerRequestID, ctx.Request.Header.Peek(headerRequestID))
	}
	if o.meter != nil {
		o.meter.observe(id, ctx.Response.StatusCode(), elapsed)
	}
	if o.logFormat != "" {
		o.log(ctx, s, id, elapsed)
	}
}

// requestID is the request's id when request ids are on, else nil.
func (o *observer) requestID(ctx *fasthttp.RequestCtx) []byte {
	if !o.requestIDs {
		return nil
	}
	return ctx.Request.Header.Peek(headerRequestID)
}

// ensureRequestID keeps a sane client-supplied X-Request-ID and replaces anything
// else with a fresh random one; it lives in the request header from then on.
func ensureRequestID(ctx *fasthttp.RequestCtx) {
	if id := ctx.Request.Header.Peek(headerRequestID); validRequestID(id) {
		return
	}
	var raw [8]byte
	n := rand.Uint64()
	for i := range raw {
		raw[i] = byte(n >> (8 * i))
	}
	var text [16]byte
	hex.Encode(text[:], raw[:])
	ctx.Request.Header.SetBytesV(headerRequestID, text[:])
}

func validRequestID(id []byte) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// flushLoop writes buffered log lines out at least every 200 ms, so the log is
// near real time without a write system call per request.
func (o *observer) flushLoop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			o.logMu.Lock()
			o.logOut.Flush()
			o.logMu.Unlock()
		case <-o.stopFlush:
			return
		}
	}
}

func (o *observer) close(s *Server) {
	if o.meter != nil {
		o.meter.close(s)
	}
	if o.logOut == nil {
		return
	}
	close(o.stopFlush)
	o.logMu.Lock()
	o.logOut.Flush()
	o.logMu.Unlock()
}
