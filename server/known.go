package server

import (
	"bytes"
	"strings"
)

// Most requests for a path the server has nothing at are scans and typos, and their
// first segment ("wp-admin" in "/wp-admin/setup.php") is one that no route, WebSocket
// route, static or docs prefix or Django site path begins with. knownHeads tells them
// apart with one lookup, so that their 404 skips asking each of those in turn (the
// slash redirect's router lookup, the site's paths, Allowed, the WebSocket routes).

// knownHeads holds the first path segments under which something may answer; nil when
// something may answer under any first segment (a route such as "/{slug}", a site
// prefix such as "/post-"), and then every path takes the long way.
type knownHeads map[string]struct{}

func newKnownHeads(s *Server) knownHeads {
	k := knownHeads{}
	if !k.addRoutes(s.router.FirstSegments()) {
		return nil
	}
	if s.ws != nil && !k.addRoutes(s.ws.router.FirstSegments()) {
		return nil
	}
	if s.static != nil {
		k.addPrefix(string(s.static.prefix)) // "/static/": always a whole first segment
	}
	if s.docs != nil {
		k.addPrefix(string(s.docs.prefix))
	}
	if st := s.site; st != nil {
		for p := range st.exact {
			k.addPrefix(p)
		}
		for _, p := range st.prefixes {
			if bytes.IndexByte(p[1:], '/') < 0 {
				return nil // "/post-" or "/": a first segment may begin with it
			}
			k.addPrefix(string(p))
		}
	}
	return k
}

func (k knownHeads) addRoutes(literals []string, anyFirst bool) bool {
	for _, head := range literals {
		k[head] = struct{}{}
	}
	return !anyFirst
}

// addPrefix adds the first segment of path, which begins with '/'.
func (k knownHeads) addPrefix(path string) {
	head, _, _ := strings.Cut(path[1:], "/")
	k[head] = struct{}{}
}

// unknown reports that nothing but a 404 (or the project-wide CORS policy's preflight
// answer) can answer path, whatever the method.
func (k knownHeads) unknown(path []byte) bool {
	if k == nil || len(path) == 0 || path[0] != '/' {
		return false
	}
	head := path[1:]
	if i := bytes.IndexByte(head, '/'); i >= 0 {
		head = head[:i]
	}
	_, ok := k[string(head)]
	return !ok
}
