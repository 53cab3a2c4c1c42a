// Package middleware runs the per-route request policy in Go, before any
// Python code: CORS, rate limiting, authentication, guards and response
// compression. A request rejected here (401, 403, 429, a preflight answer)
// never reaches the interpreter.
//
// # Configuration
//
// Python compiles each route's options once at start-up and sends them inside
// the route table, which server.DecodeTable decodes into RouteConfig and
// GlobalConfig with unknown keys rejected. Construction is where
// mistakes surface: NewShared and NewPipeline return an error naming the
// route, the entry and what to write instead for any unknown type, misplaced
// or out-of-range option, unparsable key, or unsafe combination (a '*' CORS
// origin with credentials, an HMAC algorithm next to a public-key one).
// Nothing is silently ignored.
//
// # Request flow
//
// The server builds one Shared per process and one Pipeline per route (plus
// Shared.Default for the answers no route owns), then for each request:
//
//	if middleware.IsPreflight(ctx) {
//		// route looked up for the Access-Control-Request-Method
//		if p.Preflight(ctx) { return }        // a complete answer; else answer OPTIONS itself
//	}
//	auth, handled := p.Before(ctx)            // when handled: 400/401/403/429 written
//	if !handled {
//		... call Python with auth, write its answer (or an error: WriteJSON, WriteText) ...
//	}
//	p.Finish(ctx)                             // every response: CORS, then compression
//
// Finish is the one exit: nothing else adds CORS headers or compresses, so every
// answer of a route, whoever wrote it, gets the same headers.
//
// Before rate-limits first, then authenticates, then runs the guards, so a
// flood of bad credentials is throttled like any other traffic. The exception
// is a limit keyed by "user" or "api_key": that key only exists after
// authentication, so authentication runs first there. Unauthenticated
// requests on such routes are keyed by client IP.
//
// A route without configuration, or with only allow_any, makes Before return
// at once without allocating; a nil *Pipeline is valid and does nothing.
//
// # Authentication and guards
//
// Backends are tried in order and the first that accepts the request wins; a
// failing backend never rejects by itself, only guards do (401 when
// credentials are missing, 403 when they are insufficient). JWT verification
// accepts exactly the configured algorithms and hands each one only the key
// of its own family, so an HS256 token cannot be verified with an RSA public
// key used as an HMAC secret, and "none" is never accepted. exp is required;
// exp and nbf get 60 seconds of leeway for clock skew. Claims with the wrong
// JSON type invalidate the token because Python trusts these types. API keys
// are compared through their SHA-256 digests in constant time against every
// configured key, so timing reveals neither which key matched nor its length.
//
// A caller is authenticated when a backend accepted it; is_authenticated also
// needs a user id (a JWT "sub"), the other guards only the flag or
// permissions they check. django_bolt.auth.guards states the same rules in
// Python, and testdata/guard_cases.json runs one table through both.
//
// JWT revocation is decided in Python, not here: before the handler runs,
// the route's runner looks the token's jti up in the revocation store and
// treats a revoked token as no token.
//
// # Rate limiting
//
// Each (route, key) has a token bucket of Burst tokens refilled at RPS per
// second, stored as one GCRA timestamp. The "ip" key is the socket peer, or,
// when the peer is one of GlobalConfig.TrustedProxies, the client it reports:
// the last X-Forwarded-For entry that is not a trusted proxy (each proxy
// appends, so entries left of it are the client's own writing), else
// X-Real-IP. Forwarded headers from anyone else are ignored, since clients
// could otherwise pick their own bucket.
//
// In-process buckets are bounded: a bucket that has refilled completely
// carries no information and is dropped by a periodic sweep, and a hard cap
// (100,000 per process) evicts first full buckets, then those closest to
// full, logging when active clients lose their state.
//
// With a redis:// backend each check is one atomic Lua script on Redis's
// clock, so the limit holds across processes and machines. If Redis is
// unreachable, the check falls back to the in-process buckets and logs it,
// retrying Redis after a short backoff. This was chosen over failing closed
// (an outage of a cache would take the API down) and over failing open (an
// outage would lift every limit): during the outage each process enforces the
// limit on its own, so the effective limit is at most the number of processes
// times the configured one.
//
// # Compression
//
// Finish compresses buffered responses whose media type is textual, whose
// body is at least minimum_size and that carry no Content-Encoding yet, using
// the configured backend when Accept-Encoding allows it, else gzip when
// gzip_fallback is set, and whole text-like files up to 1 MiB. Event streams and
// bodies streamed from Python are left alone.
package middleware
