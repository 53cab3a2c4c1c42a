package middleware

import (
	"fmt"
	"strconv"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// Pipeline is one route's compiled configuration. Its methods are safe for
// concurrent use and accept a nil *Pipeline, which does nothing.
type Pipeline struct {
	cors     *corsPolicy
	limit    *rateLimit
	backends []authBackend
	guards   []guard
	comp     *compressor
	// before is false when Before has nothing to do, keeping unconfigured
	// and allow_any-only routes free.
	before bool
}

var skipNames = map[string]bool{"cors": true, "rate_limit": true, "compression": true, "auth": true}

// NewPipeline compiles a route's configuration. Every problem is an error
// naming the route and the entry.
func NewPipeline(route RouteConfig, global *Shared) (*Pipeline, error) {
	if global == nil {
		return nil, fmt.Errorf("route %s: NewPipeline needs the *Shared from NewShared", route.Route)
	}
	skip := map[string]bool{}
	for i, s := range route.Skip {
		if !skipNames[s] {
			return nil, configError(route.Route, fmt.Sprintf("skip[%d]", i), "unknown middleware %q; use \"cors\", \"rate_limit\", \"compression\" or \"auth\"", s)
		}
		skip[s] = true
	}

	p := &Pipeline{}
	id := global.nextRoute.Add(1)
	// Every entry is validated even when a later one or skip overrides it,
	// so a typo never hides behind an override.
	for i, m := range route.Middleware {
		entry := fmt.Sprintf("middleware[%d]", i)
		switch m.Type {
		case "cors":
			c, err := newCORS(route.Route, entry, m, global.corsOrigins, global.corsRegexes)
			if err != nil {
				return nil, err
			}
			p.cors = c // the last entry wins: route-level entries come after global ones
		case "rate_limit":
			r, err := newRateLimit(route.Route, entry, m, global, id)
			if err != nil {
				return nil, err
			}
			p.limit = r
		default:
			return nil, configError(route.Route, entry, "unknown middleware type %q; use \"cors\" or \"rate_limit\"", m.Type)
		}
	}
	for i, b := range route.AuthBackends {
		be, err := newAuthBackend(route.Route, i, b)
		if err != nil {
			return nil, err
		}
		p.backends = append(p.backends, be)
	}
	guards, err := newGuards(route.Route, route.Guards)
	if err != nil {
		return nil, err
	}
	p.guards = guards

	if p.cors == nil {
		p.cors = global.cors // the project-wide policy, for routes without their own
	}
	if skip["cors"] {
		p.cors = nil
	}
	if skip["rate_limit"] {
		p.limit = nil
	}
	if skip["auth"] {
		p.backends, p.guards = nil, nil
	}
	if !skip["compression"] {
		p.comp = global.comp
	}
	if p.limit != nil {
		global.startJanitor()
	}
	p.before = p.limit != nil || len(p.backends) > 0 ||
		(len(p.guards) > 0 && p.guards[0].kind != guardAllowAny)
	return p, nil
}

// IsPreflight reports whether the request is a CORS preflight: OPTIONS with
// both Origin and Access-Control-Request-Method.
func IsPreflight(ctx *fasthttp.RequestCtx) bool {
	return ctx.IsOptions() &&
		len(ctx.Request.Header.PeekCanonical(hOrigin)) > 0 &&
		len(ctx.Request.Header.PeekCanonical(hRequestMethod)) > 0
}

// Before runs rate limiting, authentication and guards. When it rejects the
// request it has written the answer (status, headers, body) and returns
// handled=true; Finish then adds CORS headers as to any other response.
func (p *Pipeline) Before(ctx *fasthttp.RequestCtx) (auth *Auth, handled bool) {
	if p == nil || !p.before {
		return nil, false
	}
	limit := p.limit != nil && !ctx.IsOptions()
	if limit && !p.limit.authKey && p.rateLimited(ctx, nil) {
		return nil, true
	}
	a := authenticate(p.backends, ctx)
	if limit && p.limit.authKey && p.rateLimited(ctx, a) {
		return nil, true
	}
	if status := decide(p.guards, a); status != 0 {
		reject(ctx, status)
		return nil, true
	}
	return a, false
}

func (p *Pipeline) rateLimited(ctx *fasthttp.RequestCtx, a *Auth) bool {
	status, retry := p.limit.check(ctx, a)
	switch status {
	case 0:
		return false
	case fasthttp.StatusBadRequest:
		WriteJSON(ctx, status, protocol.BodyRateLimitKeyLong)
	default:
		WriteJSON(ctx, status, protocol.BodyRateLimited(retry))
		h := &ctx.Response.Header
		var n [20]byte
		h.SetCanonical(hRetryAfter, strconv.AppendInt(n[:0], retry, 10))
		h.SetCanonical(hRateLimitLimit, p.limit.limitHeader)
		h.SetCanonical(hRateLimitBurst, p.limit.burstHeader)
	}
	return true
}

// reject writes a guard's 401 or 403 answer.
func reject(ctx *fasthttp.RequestCtx, status int) {
	body := protocol.BodyPermissionDenied
	if status == fasthttp.StatusUnauthorized {
		body = protocol.BodyUnauthenticated
	}
	WriteJSON(ctx, status, body)
}

// Preflight answers a CORS preflight with this route's policy. It returns
// false, writing nothing, when the route has no CORS; the caller then
// answers OPTIONS itself.
func (p *Pipeline) Preflight(ctx *fasthttp.RequestCtx) bool {
	if p == nil || p.cors == nil {
		return false
	}
	p.cors.preflight(ctx)
	return true
}

// Finish is the exit of every response that is not a preflight answer, whoever
// wrote it (Python, a rejection in Before, an error, a file, a stream): it adds the
// CORS headers, then compresses a buffered body or a whole text-like file (see
// compress and compressFile). A body streamed from Python is never compressed.
func (p *Pipeline) Finish(ctx *fasthttp.RequestCtx) {
	if p == nil {
		return
	}
	if p.cors != nil {
		p.cors.apply(ctx)
	}
	if p.comp != nil {
		if ctx.Response.IsBodyStream() {
			p.comp.compressFile(ctx)
		} else {
			p.comp.compress(ctx)
		}
	}
}
