package middleware

import (
	"bytes"
	"strings"
)

// Hosts checks a request's Host header against Django's ALLOWED_HOSTS, with
// Django's rules: "*" allows any host, ".example.com" allows example.com and every
// subdomain of it, anything else must match exactly; case does not matter, and the
// port is ignored. A nil *Hosts allows everything (the list held "*").
type Hosts struct {
	exact    [][]byte
	suffixes [][]byte // ".example.com": the host equals it without the dot, or ends with it
}

// NewHosts compiles ALLOWED_HOSTS; nil (no check) when the list holds "*" or is empty:
// Python sends Django's effective list, and runbolt refuses to start with none.
func NewHosts(allowed []string) *Hosts {
	if len(allowed) == 0 {
		return nil
	}
	h := &Hosts{}
	for _, pattern := range allowed {
		p := strings.ToLower(pattern)
		switch {
		case p == "*":
			return nil
		case strings.HasPrefix(p, "."):
			h.suffixes = append(h.suffixes, []byte(p))
		default:
			h.exact = append(h.exact, []byte(p))
		}
	}
	return h
}

// Allowed reports whether host (the Host header, possibly with a port) is allowed.
func (h *Hosts) Allowed(host []byte) bool {
	if h == nil {
		return true
	}
	name := hostName(host)
	if len(name) == 0 {
		return false
	}
	for _, e := range h.exact {
		if equalFold(name, e) {
			return true
		}
	}
	for _, s := range h.suffixes {
		if equalFold(name, s[1:]) || (len(name) > len(s) && equalFold(name[len(name)-len(s):], s)) {
			return true
		}
	}
	return false
}

// hostName is host without its port and without a trailing dot, as Django compares it;
// an IPv6 literal keeps its brackets.
func hostName(host []byte) []byte {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.IndexByte(host[i:], ']') < 0 {
		host = host[:i]
	}
	return bytes.TrimSuffix(host, []byte("."))
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
