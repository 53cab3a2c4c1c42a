// Package server is the HTTP side of django-bolt: a fasthttp server that routes each
// request, answers what it can without Python (404, 405, automatic OPTIONS, rejected
// auth, rate limits, CORS preflights, oversize bodies), and hands the rest to the
// Python event loop through pyhost.Loop.
//
// The route table comes from Python once, at start-up, as msgpack (see Table). After
// that everything here is immutable and shared by all connections without locks.
//
// A request's life:
//
//	parse → route → 404 / 405 / auto-OPTIONS / auto-HEAD → CORS preflight → rate limit
//	→ authentication → guards → Python handler → response (buffered, file or stream)
//
// Only the parts of a request that the route's binding plan reads cross into Python.
package server
