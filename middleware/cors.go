package middleware

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"djangobolt/protocol"
)

var (
	defaultCORSMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	defaultCORSHeaders = []string{"Content-Type", "Authorization"}
)

const (
	defaultCORSMaxAge = 3600
	preflightVary     = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
)

// corsPolicy is one route's effective CORS entry with every header value
// pre-joined, so answering costs only header writes.
type corsPolicy struct {
	wildcard     bool
	origins      map[string]struct{}
	regexes      []*regexp.Regexp
	credentials  bool
	allowMethods string
	allowHeaders string
	maxAge       string
	expose       string
}

// newCORS compiles one CORS entry; an entry without origins takes the
// project-wide ones (globalOrigins, globalRegexes).
func newCORS(route, entry string, c MiddlewareConfig, globalOrigins, globalRegexes []string) (*corsPolicy, error) {
	if c.RPS != 0 || c.Burst != nil || c.Key != "" {
		return nil, configError(route, entry, "rps, burst and key are rate_limit options; put them in a {type: \"rate_limit\"} entry")
	}
	origins, regexes := c.Origins, c.OriginRegexes
	if len(origins) == 0 && len(regexes) == 0 {
		origins, regexes = globalOrigins, globalRegexes
	}
	p := &corsPolicy{
		origins:      make(map[string]struct{}, len(origins)),
		credentials:  c.Credentials,
		allowMethods: strings.Join(orDefault(c.Methods, defaultCORSMethods), ", "),
		allowHeaders: strings.Join(orDefault(c.Headers, defaultCORSHeaders), ", "),
		maxAge:       strconv.Itoa(defaultCORSMaxAge),
		expose:       strings.Join(c.ExposeHeaders, ", "),
	}
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return nil, configError(route, entry, "%v", err)
		}
		if o == "*" {
			p.wildcard = true
		}
		// Browsers serialise Origin in lower case.
		p.origins[strings.ToLower(o)] = struct{}{}
	}
	for _, r := range regexes {
		// Anchored at the start only, like Python's re.match in django-cors-headers.
		re, err := regexp.Compile(`^(?:` + r + `)`)
		if err != nil {
			return nil, configError(route, entry, "origin regex %q does not compile: %v", r, err)
		}
		p.regexes = append(p.regexes, re)
	}
	if p.wildcard && p.credentials {
		return nil, configError(route, entry, "Cannot use wildcard '*' with credentials=true: list the allowed origins")
	}
	if c.MaxAge != nil {
		if *c.MaxAge < 0 {
			return nil, configError(route, entry, "max_age %d is negative; use seconds >= 0", *c.MaxAge)
		}
		p.maxAge = strconv.Itoa(*c.MaxAge)
	}
	for _, m := range c.Methods {
		if m == "" || strings.ContainsAny(m, " ,") {
			return nil, configError(route, entry, "method %q is not a single HTTP method; list methods like [\"GET\", \"POST\"]", m)
		}
	}
	return p, nil
}

func orDefault(xs, def []string) []string {
	if len(xs) == 0 {
		return def
	}
	return xs
}

// checkOrigin accepts what browsers send in Origin: "scheme://host[:port]"
// with nothing after the authority, or the literal "null"; "*" means any.
func checkOrigin(o string) error {
	if o == "*" || o == "null" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
		(u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#")) {
		return fmt.Errorf("origin %q is not an origin; write scheme://host[:port] with no path or trailing slash, e.g. \"https://example.com\"", o)
	}
	return nil
}

func (p *corsPolicy) allows(origin []byte) bool {
	if _, ok := p.origins[string(origin)]; ok {
		return true
	}
	for _, r := range p.regexes {
		if r.Match(origin) {
			return true
		}
	}
	return false
}

// preflight answers an OPTIONS preflight completely.
func (p *corsPolicy) preflight(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	resp.ResetBody()
	origin := ctx.Request.Header.Peek("Origin")
	switch {
	case len(p.origins) == 0 && len(p.regexes) == 0:
		WriteText(ctx, fasthttp.StatusForbidden, protocol.TextCORSNotConfigured)
		return
	case !p.wildcard && !p.allows(origin):
		WriteText(ctx, fasthttp.StatusForbidden, protocol.TextCORSOriginNotAllowed)
		return
	}
	resp.SetStatusCode(fasthttp.StatusNoContent)
	resp.Header.SetNoDefaultContentType(true)
	h := &resp.Header
	if p.wildcard {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.SetBytesV("Access-Control-Allow-Origin", origin)
		addVary(h, preflightVary)
	}
	h.Set("Access-Control-Allow-Methods", p.allowMethods)
	h.Set("Access-Control-Allow-Headers", p.allowHeaders)
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Max-Age", p.maxAge)
}

// apply adds CORS headers to an actual (non-preflight) response of any kind.
func (p *corsPolicy) apply(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	if p.wildcard {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		origin := ctx.Request.Header.Peek("Origin")
		if len(origin) == 0 || !p.allows(origin) {
			return
		}
		h.SetBytesV("Access-Control-Allow-Origin", origin)
		addVary(h, "Origin")
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if p.expose != "" {
		h.Set("Access-Control-Expose-Headers", p.expose)
	}
}

// addVary appends tokens to Vary without clobbering what the handler set and
// without repeating a token already present.
func addVary(h *fasthttp.ResponseHeader, tokens string) {
	cur := h.Peek("Vary")
	if len(cur) == 0 {
		h.Set("Vary", tokens)
		return
	}
	out := append([]byte(nil), cur...)
	for tok := range strings.SplitSeq(tokens, ",") {
		tok = strings.TrimSpace(tok)
		if !varyHas(cur, tok) {
			out = append(out, ", "...)
			out = append(out, tok...)
		}
	}
	h.SetBytesV("Vary", out)
}

func varyHas(vary []byte, token string) bool {
	for part := range bytes.SplitSeq(vary, []byte(",")) {
		part = bytes.TrimSpace(part)
		if string(part) == "*" || bytes.EqualFold(part, []byte(token)) {
			return true
		}
	}
	return false
}
