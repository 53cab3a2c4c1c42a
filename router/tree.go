package router

import (
	"bytes"
	"cmp"
	"slices"
)

// node is one segment position in a method's tree. A node's shape (static
// text, prefix/suffix, or plain parameter) is all that routing needs;
// parameter names belong to the leaf, so routes may name the same position
// differently.
type node struct {
	static   map[string]*node
	affixed  []*node // most specific first, see compareAffixed
	param    *node
	catchAll *node

	prefix, suffix string // literals around the parameter, for affixed nodes
	route          *leaf  // route ending at this node, if any
}

// leaf is a registered route as seen by the tree.
type leaf struct {
	handlerID int
	pattern   string
	names     []string
}

// insert adds lf at the end of segs and returns the leaf already there, if
// any. A conflict can only be found at a node that existed before, and then
// so did all its ancestors, so a failed insert leaves the tree unchanged.
func (n *node) insert(segs []segment, lf *leaf) (conflict *leaf) {
	for _, s := range segs {
		n = n.child(s)
	}
	if n.route != nil {
		return n.route
	}
	n.route = lf
	return nil
}

// child returns the child of n for s's shape, creating it if needed.
func (n *node) child(s segment) *node {
	switch s.kind {
	case segStatic:
		if c := n.static[s.text]; c != nil {
			return c
		}
		if n.static == nil {
			n.static = make(map[string]*node)
		}
		c := &node{}
		n.static[s.text] = c
		return c
	case segAffixed:
		for _, c := range n.affixed {
			if c.prefix == s.prefix && c.suffix == s.suffix {
				return c
			}
		}
		c := &node{prefix: s.prefix, suffix: s.suffix}
		n.affixed = append(n.affixed, c)
		slices.SortFunc(n.affixed, compareAffixed)
		return c
	case segParam:
		if n.param == nil {
			n.param = &node{}
		}
		return n.param
	default: // segCatchAll
		if n.catchAll == nil {
			n.catchAll = &node{}
		}
		return n.catchAll
	}
}

// compareAffixed puts the sibling with more literal text first, then the one
// with the longer prefix; the literals break remaining ties so that the order
// never depends on registration order.
func compareAffixed(a, b *node) int {
	return cmp.Or(
		cmp.Compare(len(b.prefix)+len(b.suffix), len(a.prefix)+len(a.suffix)),
		cmp.Compare(len(b.prefix), len(a.prefix)),
		cmp.Compare(a.prefix, b.prefix),
		cmp.Compare(a.suffix, b.suffix),
	)
}

// match finds the route for the segment of path starting at start and all
// that follow it. Children are tried from most to least specific, and a
// failure deeper down falls back to the next candidate (backtracking);
// parameters pushed on a failed branch are popped again. Recursion depth is
// bounded by the tree's depth, not by the path.
func (n *node) match(path []byte, start int, ps *Params) *leaf {
	end := len(path)
	if i := bytes.IndexByte(path[start:], '/'); i >= 0 {
		end = start + i
	}
	seg := path[start:end]

	if c := n.static[string(seg)]; c != nil {
		if lf := c.next(path, end, ps); lf != nil {
			return lf
		}
	}
	for _, c := range n.affixed {
		if len(seg) > len(c.prefix)+len(c.suffix) &&
			string(seg[:len(c.prefix)]) == c.prefix &&
			string(seg[len(seg)-len(c.suffix):]) == c.suffix {
			ps.push(seg[len(c.prefix) : len(seg)-len(c.suffix)])
			if lf := c.next(path, end, ps); lf != nil {
				return lf
			}
			ps.n--
		}
	}
	if c := n.param; c != nil && len(seg) > 0 {
		ps.push(seg)
		if lf := c.next(path, end, ps); lf != nil {
			return lf
		}
		ps.n--
	}
	if c := n.catchAll; c != nil && start < len(path) {
		ps.push(path[start:])
		return c.route // never nil: a catch-all is always the last segment
	}
	return nil
}

// next continues in n after a segment that ended at end: there the path
// either ends, so n must hold a route, or a '/' starts the next segment.
func (n *node) next(path []byte, end int, ps *Params) *leaf {
	if end == len(path) {
		return n.route
	}
	return n.match(path, end+1, ps)
}
