package server

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// slashRedirect answers 308 when path has no route for method but the same path with
// its trailing slash removed (or added) has one: clients that write "/items/" for
// "/items" reach the route, keeping their method, body and query string. Only the
// request's own method counts (HEAD also looks for GET, as routing does), so a
// redirect never turns into a 405. "/" is never redirected.
func (s *Server) slashRedirect(ctx *fasthttp.RequestCtx, method, path []byte, x *exchange) bool {
	if len(path) < 2 {
		return false
	}
	alt := x.alt[:0]
	if path[len(path)-1] == '/' {
		alt = append(alt, path[:len(path)-1]...)
	} else {
		alt = append(append(alt, path...), '/')
	}
	x.alt = alt
	_, ok := s.router.Lookup(method, alt, &x.other)
	if !ok && bytes.Equal(method, methodHEAD) {
		_, ok = s.router.Lookup(methodGET, alt, &x.other)
	}
	if !ok {
		return false
	}
	if len(alt) > 1 && (alt[1] == '/' || alt[1] == '\\') {
		// "//host/..." or "/\\host/..." in a Location is another site to a browser: an
		// open redirect. Encoding the second character keeps the same path for the router.
		esc := "%2F"
		if alt[1] == '\\' {
			esc = "%5C"
		}
		alt = append(append(append(x.loc[:0], '/'), esc...), alt[2:]...)
		x.loc = alt
	}
	if q := ctx.URI().QueryString(); len(q) > 0 {
		alt = append(append(alt, '?'), q...)
	}
	ctx.Response.Reset()
	ctx.SetStatusCode(fasthttp.StatusPermanentRedirect)
	ctx.Response.Header.SetCanonical(headerLocation, alt)
	return true
}
