// Package server is the HTTP side of django-bolt: a fasthttp server that routes each
// request, answers what it can without Python (404, 405, automatic OPTIONS, rejected
// auth, rate limits, CORS preflights, oversize bodies), and hands the rest to the
// Python event loop through pyhost.Loop.
//
// The route table comes from Python once, at start-up, as msgpack (see Table). After
// that everything here is immutable and shared by all connections without locks, but
// for the static files kept in memory (staticcache.go), behind a read-write lock.
//
// A request's life:
//
//	parse → route → 404 / 405 / auto-OPTIONS / auto-HEAD → CORS preflight → rate limit
//	→ authentication → guards → Python handler → response (buffered, file or stream)
//	→ exit: CORS headers and compression
//
// Every response but a preflight answer leaves through one exit (handle): whatever
// wrote it (Python, a rejection, one of the bodies of protocol/errors.go), the route's
// pipeline, or the project-wide one when no route matched, adds CORS headers and
// compresses it once, in middleware.Pipeline.Finish.
//
// Only the parts of a request that the route's binding plan reads cross into Python.
package server
