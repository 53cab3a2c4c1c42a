package middleware

import "github.com/valyala/fasthttp"

// Header names in fasthttp's canonical spelling, for PeekCanonical and SetCanonical.
// Peek and Set copy and re-case their name on every call; the answers made here
// (preflights, rejections, CORS on every response) use names spelled once, at start-up.
// The spelling is fasthttp's own, so the bytes sent are the same either way
// ("X-Ratelimit-Limit", not "X-RateLimit-Limit").
var (
	hOrigin            = canonicalHeader("Origin")
	hRequestMethod     = canonicalHeader("Access-Control-Request-Method")
	hAllowOrigin       = canonicalHeader("Access-Control-Allow-Origin")
	hAllowMethods      = canonicalHeader("Access-Control-Allow-Methods")
	hAllowHeaders      = canonicalHeader("Access-Control-Allow-Headers")
	hAllowCreds        = canonicalHeader("Access-Control-Allow-Credentials")
	hMaxAge            = canonicalHeader("Access-Control-Max-Age")
	hExposeHeaders     = canonicalHeader("Access-Control-Expose-Headers")
	hVary              = canonicalHeader("Vary")
	hAcceptEncoding    = canonicalHeader("Accept-Encoding")
	hETag              = canonicalHeader("ETag")
	hRetryAfter        = canonicalHeader("Retry-After")
	hRateLimitLimit    = canonicalHeader("X-RateLimit-Limit")
	hRateLimitBurst    = canonicalHeader("X-RateLimit-Burst")
	hRealIP            = canonicalHeader("X-Real-IP")
	valueTrue          = []byte("true")
	valueAnyOrigin     = []byte("*")
	valueVaryOrigin    = []byte("Origin")
	valuePreflightVary = []byte(preflightVary)
)

func canonicalHeader(name string) []byte { return fasthttp.AppendNormalizedHeaderKey(nil, name) }

// RequestMethodHeader is the canonical Access-Control-Request-Method, for the
// server's own preflight routing.
func RequestMethodHeader(ctx *fasthttp.RequestCtx) []byte {
	return ctx.Request.Header.PeekCanonical(hRequestMethod)
}
