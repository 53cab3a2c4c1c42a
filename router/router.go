package router

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Router maps a method and a raw path to a handler id. Register every route
// with Add before serving; after that the Router is only read, so any number
// of goroutines may call Lookup and Allowed without locking.
type Router struct {
	// Fully static routes are a single map lookup, one for every method, so
	// that Allowed (a 404 or 405) costs one lookup too. A static route always
	// beats any parameterised route matching the same path (it wins at the
	// first segment where they differ), so checking the map first keeps the
	// precedence rules.
	static map[string]*staticPath
	trees  [numMethods]*node
	// Which trees a path may match, by its first segment: the methods whose
	// tree starts with that literal, plus those whose tree starts with a
	// parameter. Allowed walks only these, so an unknown path costs two
	// map lookups however many methods have trees.
	heads   map[string]MethodSet
	anyHead MethodSet
	// The methods that have any route: a request for another one (an OPTIONS
	// preflight, mostly) misses without looking at its path.
	methods MethodSet
	routes  []Route
}

// staticPath holds the routes of one fully static path, by method.
type staticPath struct {
	methods MethodSet
	ids     [numMethods]int
}

// Route is a registered route, as reported by Routes.
type Route struct {
	Method    string
	Pattern   string
	HandlerID int
	Params    []ParamInfo // in pattern order
}

// New returns an empty Router.
func New() *Router { return &Router{} }

// Add registers handlerID for method and pattern. It fails, leaving the
// Router unchanged, if the method is not supported, the pattern is invalid,
// or a route with the same method and shape already exists.
func (r *Router) Add(method, pattern string, handlerID int) error {
	m := methodIndex(method)
	if m < 0 {
		return fmt.Errorf("router: route %s %s: unsupported method %q", method, pattern, method)
	}
	p, err := parsePattern(pattern)
	if err != nil {
		return err
	}
	if len(p.params) == 0 {
		sp := r.static[pattern]
		if sp != nil && sp.methods&(1<<m) != 0 {
			return conflict(method, pattern, pattern)
		}
		if sp == nil {
			if r.static == nil {
				r.static = make(map[string]*staticPath)
			}
			sp = &staticPath{}
			r.static[pattern] = sp
		}
		sp.methods |= 1 << m
		sp.ids[m] = handlerID
	} else {
		lf := &leaf{handlerID: handlerID, pattern: pattern, names: make([]string, len(p.params))}
		for i, pi := range p.params {
			lf.names[i] = pi.Name
		}
		if r.trees[m] == nil {
			r.trees[m] = &node{}
		}
		if old := r.trees[m].insert(p.segs, lf); old != nil {
			return conflict(method, pattern, old.pattern)
		}
		if head := p.segs[0]; head.kind == segStatic {
			if r.heads == nil {
				r.heads = make(map[string]MethodSet)
			}
			r.heads[head.text] |= 1 << m
		} else {
			r.anyHead |= 1 << m
		}
	}
	r.methods |= 1 << m
	r.routes = append(r.routes, Route{Method: method, Pattern: pattern, HandlerID: handlerID, Params: p.params})
	return nil
}

func conflict(method, pattern, existing string) error {
	return fmt.Errorf("router: route %s %s conflicts with %s %s", method, pattern, method, existing)
}

// Lookup finds the route for method and the raw request path (no query
// string, not percent-decoded, trailing slash significant). On a hit it
// fills ps, which must not be nil, with the route's parameters and returns
// the handler id and true; the values are sub-slices of path. On a miss ps
// is left empty. Lookup does not allocate.
func (r *Router) Lookup(method, path []byte, ps *Params) (handlerID int, ok bool) {
	ps.Reset()
	m := methodIndex(method)
	if m < 0 || r.methods&(1<<m) == 0 {
		return 0, false
	}
	return r.lookup(m, path, ps)
}

// lookup is Lookup for a method index; ps is already empty.
func (r *Router) lookup(m int, path []byte, ps *Params) (int, bool) {
	if len(path) == 0 || path[0] != '/' {
		return 0, false
	}
	if sp := r.static[string(path)]; sp != nil && sp.methods&(1<<m) != 0 {
		return sp.ids[m], true
	}
	t := r.trees[m]
	if t == nil {
		return 0, false
	}
	lf := t.match(path, 1, ps)
	if lf == nil {
		ps.Reset()
		return 0, false
	}
	ps.names = lf.names
	return lf.handlerID, true
}

// Allowed returns the methods that have a route matching path. Callers use
// it after a failed Lookup to tell 405 (non-empty set, with
// MethodSet.AppendAllow for the Allow header) from 404, and to answer
// OPTIONS or fall back from HEAD to GET.
func (r *Router) Allowed(path []byte) MethodSet {
	if len(path) == 0 || path[0] != '/' {
		return 0
	}
	var set MethodSet
	if sp := r.static[string(path)]; sp != nil {
		set = sp.methods
	}
	head := path[1:]
	if i := bytes.IndexByte(head, '/'); i >= 0 {
		head = head[:i]
	}
	candidates := (r.anyHead | r.heads[string(head)]) &^ set
	var ps Params
	for m, t := range r.trees {
		if candidates&(1<<m) == 0 {
			continue
		}
		ps.Reset()
		if t.match(path, 1, &ps) != nil {
			set |= 1 << m
		}
	}
	return set
}

// FirstSegments returns the literal first segments of the registered routes'
// patterns ("users" for "/users/{id}", "" for "/"), and whether some route's
// first segment holds a parameter, so that it may match any path. A path whose
// first segment is not in the list then matches no route under any method:
// Lookup misses and Allowed is empty.
func (r *Router) FirstSegments() (literals []string, anyFirst bool) {
	seen := map[string]bool{}
	for path := range r.static {
		head, _, _ := strings.Cut(path[1:], "/")
		seen[head] = true
	}
	for head := range r.heads {
		seen[head] = true
	}
	for head := range seen {
		literals = append(literals, head)
	}
	slices.Sort(literals)
	return literals, r.anyHead != 0
}

// Routes returns the registered routes in registration order.
func (r *Router) Routes() []Route {
	out := make([]Route, len(r.routes))
	for i, rt := range r.routes {
		rt.Params = slices.Clone(rt.Params)
		out[i] = rt
	}
	return out
}
