package middleware

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

// BeforeWebSocket runs a WebSocket route's upgrade checks in their fixed order: rate
// limit, Origin (against the global CORS configuration), authentication, guards. When
// one refuses it has written the complete response and handled is true. A rate limit
// keyed by the authenticated user is checked after authentication, as for HTTP.
func (p *Pipeline) BeforeWebSocket(ctx *fasthttp.RequestCtx, global *Shared) (auth *Auth, handled bool) {
	limit := p != nil && p.limit != nil
	if limit && !p.limit.authKey && p.rateLimited(ctx, nil) {
		return nil, true
	}
	if origin := ctx.Request.Header.Peek("Origin"); len(origin) > 0 && !global.WebSocketOriginAllowed(origin) {
		WriteJSON(ctx, fasthttp.StatusForbidden, protocol.BodyOriginNotAllowed)
		return nil, true
	}
	if p == nil {
		return nil, false
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

// WebSocketOriginAllowed reports whether a browser page from origin may open a
// WebSocket: the global CORS origins allow it ("*" or the exact origin), or one of
// the project's CORS_ALLOWED_ORIGIN_REGEXES matches it. Without a global CORS
// configuration every cross-origin upgrade is refused, because a browser sends
// cookies with it and nothing like a preflight protects the handler.
func (s *Shared) WebSocketOriginAllowed(origin []byte) bool {
	for _, o := range s.corsOrigins {
		if o == "*" || (len(o) == len(origin) && bytes.EqualFold([]byte(o), origin)) {
			return true
		}
	}
	return s.cors != nil && s.cors.allows(origin)
}
