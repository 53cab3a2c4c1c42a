package server

import (
	"bytes"

	"djangobolt/router"
)

// The rest of the Django site. A request no API route answers, whose path the
// project's URLconf may resolve, goes to one Python route that runs Django's own
// ASGI application (django_bolt/site.py). Which paths may resolve is decided here,
// from the URLconf's literal parts that Python computed at start-up: exact paths
// ("/about/") and prefixes ("/blog/" for "blog/<slug>/"). Any other path keeps the
// API's 404 without a Python call, so a flood of unknown paths costs what it did.

// SiteSpec is the Django site's entry in the table.
type SiteSpec struct {
	Route    RouteSpec `msgpack:"route"` // the handler running Django; never in the router
	Exact    []string  `msgpack:"exact"`
	Prefixes []string  `msgpack:"prefixes"`
}

type site struct {
	id       int
	exact    map[string]struct{}
	prefixes [][]byte
}

func newSite(spec *SiteSpec) *site {
	st := &site{id: spec.Route.HandlerID, exact: make(map[string]struct{}, len(spec.Exact))}
	for _, p := range spec.Exact {
		st.exact[p] = struct{}{}
	}
	for _, p := range spec.Prefixes {
		st.prefixes = append(st.prefixes, []byte(p))
	}
	return st
}

// serves reports whether the URLconf may resolve path.
func (st *site) serves(path []byte) bool {
	if _, ok := st.exact[string(path)]; ok {
		return true
	}
	for _, p := range st.prefixes {
		if bytes.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// siteRoute is the Django site's handler id for a path no API route matched, when
// the site may resolve it and the API has no route there under another method
// (allowed, from Router.Allowed, is empty: the API's 405 wins).
func (s *Server) siteRoute(path []byte, allowed router.MethodSet) (int, bool) {
	if s.site == nil || allowed != 0 || !s.site.serves(path) {
		return -1, false
	}
	return s.site.id, true
}
