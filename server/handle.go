package server

import (
	"bytes"
	"os"
	"sync"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/pyhost"
	"djangobolt/router"
)

// exchange holds one request's buffers; pooled so a request allocates nothing here.
type exchange struct {
	req    pyhost.Request
	resp   pyhost.Response
	params router.Params
	other  router.Params // lookups for another method (preflights) must not clobber params
	alt    []byte        // the other spelling of the path (trailing slash), for redirects
	kv     []pyhost.KV
	buf    []byte  // copied header names (lower-cased) and values, and decoded params
	offs   []int32 // name start, name end, value end per pair in buf
	body   string  // the file holding the spooled body, or ""
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) reset() {
	x.req = pyhost.Request{}
	x.resp.Reset()
	x.kv = x.kv[:0]
	x.buf = x.buf[:0]
	x.offs = x.offs[:0]
	x.body = ""
}

var (
	methodGET     = []byte(fasthttp.MethodGet)
	methodHEAD    = []byte(fasthttp.MethodHead)
	methodOPTIONS = []byte(fasthttp.MethodOptions)
)

// handle serves one request and returns the matched route's handler id, or -1.
func (s *Server) handle(ctx *fasthttp.RequestCtx) int {
	x := exchangePool.Get().(*exchange)
	defer func() {
		x.reset()
		exchangePool.Put(x)
	}()
	if !s.checkHeaders(ctx) {
		return -1
	}
	if s.ws != nil && s.serveWebSocket(ctx, x) {
		return -1
	}
	method := ctx.Method()
	path := ctx.URI().PathOriginal()

	id, ok := s.router.Lookup(method, path, &x.params)
	if ok && bytes.Equal(method, methodOPTIONS) && middleware.IsPreflight(ctx) && s.preflight(ctx, path, x) {
		return id
	}
	if !ok && bytes.Equal(method, methodHEAD) {
		// HEAD is answered for every GET route; fasthttp leaves the body out.
		id, ok = s.router.Lookup(methodGET, path, &x.params)
	}
	if !ok {
		switch {
		case s.static.serve(ctx, method, path):
			s.shared.StaticFile(ctx)
		case !s.slashRedirect(ctx, method, path, x):
			s.noRoute(ctx, method, path, x)
		}
		return -1
	}
	r := s.routes[id]
	auth, handled := r.pipeline.Before(ctx)
	if handled {
		return id
	}
	pending := s.pending.Add(1)
	if limit := s.table.Settings.MaxPending; limit > 0 && pending > int64(limit) {
		// Shed load in Go rather than queue without bound in front of the interpreter.
		s.pending.Add(-1)
		writeJSON(ctx, fasthttp.StatusServiceUnavailable, `{"detail":"Server busy, retry shortly"}`)
		ctx.Response.Header.Set("Retry-After", "1")
		r.pipeline.StreamHeaders(ctx)
		return id
	}
	if x.body, ok = s.spoolBody(ctx, r); !ok {
		s.pending.Add(-1)
		return id
	}
	s.fillRequest(ctx, r, x, auth)
	s.python.Do(&x.req, &x.resp)
	s.pending.Add(-1)
	if x.body != "" {
		os.Remove(x.body)
	}
	s.writeResponse(ctx, r, &x.resp)
	return id
}

// preflight answers a CORS preflight with the configuration of the route for the
// requested method; false when that route has no CORS (the request is then routed).
func (s *Server) preflight(ctx *fasthttp.RequestCtx, path []byte, x *exchange) bool {
	requested := ctx.Request.Header.Peek("Access-Control-Request-Method")
	id, ok := s.router.Lookup(requested, path, &x.other)
	if !ok {
		return false
	}
	return s.routes[id].pipeline.Preflight(ctx)
}

// noRoute answers a path/method without a handler: a preflight or automatic OPTIONS,
// 405 with Allow when the path exists under other methods, else 404.
func (s *Server) noRoute(ctx *fasthttp.RequestCtx, method, path []byte, x *exchange) {
	allowed := s.router.Allowed(path)
	if allowed == 0 && s.ws.isWebSocketPath(path) {
		writeText(ctx, fasthttp.StatusBadRequest, "This path expects a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)")
		return
	}
	preflight := middleware.IsPreflight(ctx)
	if allowed == 0 {
		if preflight && s.shared.Preflight(ctx) {
			return
		}
		writeText(ctx, fasthttp.StatusNotFound, "Not Found")
		s.shared.ApplyCORS(ctx)
		return
	}
	// HEAD is answered for every GET route and OPTIONS for every path.
	if allowed.Has(fasthttp.MethodGet) {
		allowed = allowed.With(fasthttp.MethodHead)
	}
	allowed = allowed.With(fasthttp.MethodOptions)
	if bytes.Equal(method, methodOPTIONS) {
		if preflight && (s.preflight(ctx, path, x) || s.shared.Preflight(ctx)) {
			return
		}
		writeJSON(ctx, fasthttp.StatusOK, "{}")
		ctx.Response.Header.SetBytesV("Allow", allowed.AppendAllow(nil))
		return
	}
	writeJSON(ctx, fasthttp.StatusMethodNotAllowed, `{"detail":"Method Not Allowed"}`)
	ctx.Response.Header.SetBytesV("Allow", allowed.AppendAllow(nil))
	s.shared.ApplyCORS(ctx)
}

// checkHeaders enforces the header count and per-value size limits.
func (s *Server) checkHeaders(ctx *fasthttp.RequestCtx) bool {
	limit := s.table.Settings.MaxHeaderSize
	maxCount := s.table.Settings.MaxHeaderCount
	count, tooLarge := 0, false
	ctx.Request.Header.VisitAll(func(_, value []byte) {
		count++
		if len(value) > limit {
			tooLarge = true
		}
	})
	switch {
	case count > maxCount:
		writeText(ctx, fasthttp.StatusBadRequest, "Too many headers")
		return false
	case tooLarge:
		writeText(ctx, fasthttp.StatusBadRequest, "Header value too large (max "+itoa(limit)+" bytes)")
		return false
	}
	return true
}

// fillRequest copies into x.req what the route's binding plan reads.
func (s *Server) fillRequest(ctx *fasthttp.RequestCtx, r *route, x *exchange, auth *middleware.Auth) {
	req := &x.req
	req.Handler = r.spec.HandlerID
	req.Want = r.want
	req.Method = ctx.Method()
	req.Path = ctx.URI().PathOriginal()
	if r.want&pyhost.WantParams != 0 {
		for i := 0; i < x.params.Len(); i++ {
			x.addPair([]byte(x.params.Name(i)), x.params.Value(i), false, true)
		}
	}
	paramCount := len(x.offs) / 3
	if r.want&pyhost.WantHeaders != 0 {
		ctx.Request.Header.VisitAll(func(name, value []byte) {
			x.addPair(name, value, true, false)
		})
		if x.body != "" {
			x.addPair([]byte(BodyFileHeader), []byte(x.body), false, false)
		}
	}
	// Build the views only now: buf no longer grows.
	for i := 0; i < len(x.offs); i += 3 {
		x.kv = append(x.kv, pyhost.KV{Key: x.buf[x.offs[i]:x.offs[i+1]], Value: x.buf[x.offs[i+1]:x.offs[i+2]]})
	}
	req.Params = x.kv[:paramCount]
	req.Headers = x.kv[paramCount:]
	if r.want&pyhost.WantQuery != 0 {
		req.Query = ctx.URI().QueryString()
	}
	if r.want&pyhost.WantBody != 0 && x.body == "" {
		req.Body = ctx.PostBody()
	}
	if auth != nil {
		req.Context = authContext(auth)
	} else if r.spec.Security != nil || s.table.Settings.RequestID {
		req.Context = map[string]any{}
	}
	if id := s.obs.requestID(ctx); id != nil {
		req.Context["request_id"] = string(id)
	}
}

// addPair copies a name/value pair into the exchange buffer, lower-casing the name or
// percent-decoding the value as asked.
func (x *exchange) addPair(name, value []byte, lower, decode bool) {
	start := int32(len(x.buf))
	x.buf = append(x.buf, name...)
	if lower {
		for i := int(start); i < len(x.buf); i++ {
			if c := x.buf[i]; 'A' <= c && c <= 'Z' {
				x.buf[i] = c + 'a' - 'A'
			}
		}
	}
	mid := int32(len(x.buf))
	if decode && bytes.IndexByte(value, '%') >= 0 {
		x.buf = appendUnescaped(x.buf, value)
	} else {
		x.buf = append(x.buf, value...)
	}
	x.offs = append(x.offs, start, mid, int32(len(x.buf)))
}

// authContext is the dict handlers see as request["context"] / request["auth"].
func authContext(a *middleware.Auth) map[string]any {
	ctx := map[string]any{
		"is_staff":     a.IsStaff,
		"is_admin":     a.IsAdmin,
		"auth_backend": a.Backend,
	}
	if a.HasUserID {
		ctx["user_id"] = a.UserID
	}
	if len(a.Permissions) > 0 {
		ctx["permissions"] = a.Permissions
	}
	if a.Claims != nil {
		ctx["auth_claims"] = a.Claims
	}
	return ctx
}

func itoa(n int) string { return string(fasthttp.AppendUint(nil, n)) }

// appendUnescaped appends s with %XX escapes decoded; malformed escapes stay as they are.
func appendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if h, ok := unhex(s[i+1]); ok {
				if l, ok := unhex(s[i+2]); ok {
					dst = append(dst, h<<4|l)
					i += 2
					continue
				}
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
