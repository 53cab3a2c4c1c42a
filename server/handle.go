package server

import (
	"bytes"
	"os"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
	"djangobolt/router"
)

// exchange holds one request's buffers; pooled so a request allocates nothing here.
type exchange struct {
	req    protocol.Request
	resp   protocol.Response
	params router.Params
	other  router.Params // lookups for another method (preflights) must not clobber params
	alt    []byte        // the other spelling of the path (trailing slash), for redirects
	loc    []byte        // that spelling made safe for a Location header
	body   string        // the file holding the spooled body, or ""
	// payload is the body Python reads when it is not in a file: fasthttp's buffer, or
	// buf when the body was streamed (body.go).
	payload []byte
	buf     []byte
	// abandoned: Python never answered, so its buffers stay with the loop.
	abandoned bool
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) reset() {
	x.req.Reset()
	x.resp.Reset()
	x.body = ""
	x.payload = nil
	if cap(x.buf) > maxKeptBody {
		x.buf = nil
	}
}

// removeBodyFile deletes the spooled body, once Python has answered.
func (x *exchange) removeBodyFile() {
	if x.body != "" {
		os.Remove(x.body)
	}
}

var (
	headerAllow    = []byte("Allow")
	headerLocation = []byte("Location")
)

var (
	methodGET     = []byte(fasthttp.MethodGet)
	methodHEAD    = []byte(fasthttp.MethodHead)
	methodOPTIONS = []byte(fasthttp.MethodOptions)
)

// handle serves one request and returns the matched route's handler id, or -1.
//
// Every response leaves through one exit: answer writes its status, headers and body
// (Python's answer, or one of protocol/errors.go through middleware.WriteJSON or
// WriteText), then the pipeline it names, the route's or the project-wide one, adds
// CORS headers and compression once in Finish.
func (s *Server) handle(ctx *fasthttp.RequestCtx) int {
	x := exchangePool.Get().(*exchange)
	id, exit := s.answer(ctx, x)
	exit.Finish(ctx)
	if !x.abandoned {
		x.reset()
		exchangePool.Put(x)
	}
	return id
}

// answer writes the response to one request and returns the handler id (or -1) and
// the pipeline that finishes the response: nil when it is complete as written (a CORS
// preflight answer, a WebSocket handshake, a body refused before routing as fasthttp
// refuses it while reading).
func (s *Server) answer(ctx *fasthttp.RequestCtx, x *exchange) (int, *middleware.Pipeline) {
	if !s.checkHeaders(ctx) {
		return -1, s.unrouted
	}
	if s.declaredTooLarge(ctx) {
		return -1, nil
	}
	if !s.hosts.Allowed(ctx.Host()) {
		// As Django refuses a Host outside ALLOWED_HOSTS (DisallowedHost), before routing.
		middleware.WriteJSON(ctx, fasthttp.StatusBadRequest, protocol.BodyInvalidHost)
		return -1, s.unrouted
	}
	if s.ws != nil && s.serveWebSocket(ctx, x) {
		return -1, nil
	}
	method := ctx.Method()
	path := ctx.URI().PathOriginal()

	id, ok := s.router.Lookup(method, path, &x.params)
	if ok && bytes.Equal(method, methodOPTIONS) && middleware.IsPreflight(ctx) && s.preflight(ctx, path, x) {
		return id, nil
	}
	if !ok && bytes.Equal(method, methodHEAD) {
		// HEAD is answered for every GET route; fasthttp leaves the body out.
		id, ok = s.router.Lookup(methodGET, path, &x.params)
	}
	if !ok {
		if s.known.unknown(path) {
			return -1, s.notFound(ctx) // nothing is under its first segment (known.go)
		}
		if exit, ok := s.static.serve(ctx, method, path); ok {
			return -1, exit
		}
		if s.slashRedirect(ctx, method, path, x) {
			return -1, s.unrouted
		}
		if bytes.Equal(method, methodOPTIONS) && middleware.IsPreflight(ctx) && s.preflight(ctx, path, x) {
			// A preflight for a method with a route here and CORS: neither the docs
			// (GET and HEAD only) nor the site (only where no route is) would answer.
			return -1, nil
		}
		if s.docs.serve(ctx, method, path) {
			return -1, s.docs.finish
		}
		allowed := s.router.Allowed(path)
		if id, ok = s.siteRoute(path, allowed); !ok {
			return -1, s.noRoute(ctx, method, path, allowed)
		}
	}
	r := s.routes[id]
	auth, handled := r.pipeline.Before(ctx)
	if handled {
		return id, r.pipeline
	}
	pending := s.pending.Add(1)
	if limit := s.table.Settings.MaxPending; limit > 0 && pending > int64(limit) {
		// Shed load in Go rather than queue without bound in front of the interpreter.
		s.pending.Add(-1)
		middleware.WriteJSON(ctx, fasthttp.StatusServiceUnavailable, protocol.BodyBusy)
		ctx.Response.Header.Set("Retry-After", "1")
		return id, r.pipeline
	}
	if !s.takeBody(ctx, r, x) || !s.uploadsFit(ctx, r, x) {
		s.pending.Add(-1)
		x.removeBodyFile()
		return id, r.pipeline
	}
	s.fillRequest(ctx, r, x, auth)
	err := s.python.Do(&x.req, &x.resp)
	s.pending.Add(-1)
	x.removeBodyFile()
	if err != nil {
		x.abandoned = true
		s.errorLog.Printf("handler %s (%s %s) gave no answer: %v", r.spec.Name, ctx.Method(), ctx.Path(), err)
		middleware.WriteJSON(ctx, fasthttp.StatusInternalServerError, protocol.BodyInternal)
		return id, r.pipeline
	}
	s.writeResponse(ctx, r, &x.resp)
	return id, r.pipeline
}

// preflight answers a CORS preflight with the configuration of the route for the
// requested method; false when that route has no CORS (the request is then routed).
func (s *Server) preflight(ctx *fasthttp.RequestCtx, path []byte, x *exchange) bool {
	requested := middleware.RequestMethodHeader(ctx)
	id, ok := s.router.Lookup(requested, path, &x.other)
	if !ok {
		return false
	}
	return s.routes[id].pipeline.Preflight(ctx)
}

// noRoute answers a path/method without a handler: a preflight or automatic OPTIONS,
// 405 with Allow when the path exists under other methods (allowed, from
// Router.Allowed), else 404. It returns the pipeline that finishes the answer (nil
// for a preflight answer).
func (s *Server) noRoute(ctx *fasthttp.RequestCtx, method, path []byte, allowed router.MethodSet) *middleware.Pipeline {
	if allowed == 0 {
		if s.ws.isWebSocketPath(path) {
			middleware.WriteText(ctx, fasthttp.StatusBadRequest, protocol.TextWebSocketExpected)
			return s.unrouted
		}
		return s.notFound(ctx)
	}
	preflight := middleware.IsPreflight(ctx)
	// HEAD is answered for every GET route and OPTIONS for every path.
	if allowed.Has(fasthttp.MethodGet) {
		allowed = allowed.With(fasthttp.MethodHead)
	}
	allowed = allowed.With(fasthttp.MethodOptions)
	if bytes.Equal(method, methodOPTIONS) {
		// The requested method's route, if it has CORS, answered a preflight already.
		if preflight && s.unrouted.Preflight(ctx) {
			return nil
		}
		middleware.WriteJSON(ctx, fasthttp.StatusOK, protocol.BodyAutomaticOptions)
	} else {
		middleware.WriteJSON(ctx, fasthttp.StatusMethodNotAllowed, protocol.BodyMethodNotAllowed)
	}
	var allow [64]byte // "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS" fits
	ctx.Response.Header.SetCanonical(headerAllow, allowed.AppendAllow(allow[:0]))
	return s.unrouted
}

// notFound answers a path that has no route under any method: 404, or the
// project-wide CORS policy's answer to a preflight.
func (s *Server) notFound(ctx *fasthttp.RequestCtx) *middleware.Pipeline {
	if middleware.IsPreflight(ctx) && s.unrouted.Preflight(ctx) {
		return nil
	}
	middleware.WriteText(ctx, fasthttp.StatusNotFound, protocol.TextNotFound)
	return s.unrouted
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
		middleware.WriteText(ctx, fasthttp.StatusBadRequest, protocol.TextTooManyHeaders)
		return false
	case tooLarge:
		middleware.WriteText(ctx, fasthttp.StatusBadRequest, protocol.TextHeaderValueTooLarge(limit))
		return false
	}
	return true
}

// fillRequest copies into x.req what the route's binding plan reads, in the layout the
// C bridge reads (protocol.Request): this is the only copy of those bytes.
func (s *Server) fillRequest(ctx *fasthttp.RequestCtx, r *route, x *exchange, auth *middleware.Auth) {
	req := &x.req
	req.Handler = r.spec.HandlerID
	req.Want = r.want
	req.Begin(ctx.Method(), ctx.URI().PathOriginal())
	if r.want&protocol.WantParams != 0 {
		for i := 0; i < x.params.Len(); i++ {
			addPair(req, []byte(x.params.Name(i)), x.params.Value(i), false, true)
		}
		req.NParams = x.params.Len()
	}
	if r.want&protocol.WantHeaders != 0 {
		ctx.Request.Header.VisitAll(func(name, value []byte) {
			addPair(req, name, value, true, false)
		})
	}
	if r.want&protocol.WantQuery != 0 {
		req.Query = ctx.URI().QueryString()
	}
	req.Body = x.payload
	if x.body != "" {
		req.Body, req.BodyFile = []byte(x.body), true
	}
	if auth != nil {
		req.Context = authContext(auth)
	} else if r.spec.Security != nil || s.table.Settings.RequestID {
		req.Context = map[string]any{}
	}
	if id := s.obs.requestID(ctx); id != nil {
		req.Context["request_id"] = string(id)
	}
	if s.answerTimeout > 0 {
		req.Deadline = time.Now().Add(s.answerTimeout)
	}
}

// addPair copies a name/value pair into the request's strings, lower-casing the name or
// percent-decoding the value as asked.
func addPair(req *protocol.Request, name, value []byte, lower, decode bool) {
	start := req.Mark()
	req.Strs = append(req.Strs, name...)
	if lower {
		for i := start; i < len(req.Strs); i++ {
			if c := req.Strs[i]; 'A' <= c && c <= 'Z' {
				req.Strs[i] = c + 'a' - 'A'
			}
		}
	}
	req.EndString(start)
	start = req.Mark()
	if decode && bytes.IndexByte(value, '%') >= 0 {
		req.Strs = appendUnescaped(req.Strs, value)
	} else {
		req.Strs = append(req.Strs, value...)
	}
	req.EndString(start)
}

// authContext is the dict handlers see as request["context"] / request["auth"].
func authContext(a *middleware.Auth) map[string]any {
	ctx := map[string]any{
		"is_staff": a.IsStaff,
		"is_admin": a.IsAdmin,
		// The original's later name for the same flag; both are read.
		"is_superuser": a.IsAdmin,
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
