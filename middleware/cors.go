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
	allowMethods []byte
	allowHeaders []byte
	maxAge       []byte
	expose       []byte
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
		allowMethods: []byte(strings.Join(orDefault(c.Methods, defaultCORSMethods), ", ")),
		allowHeaders: []byte(strings.Join(orDefault(c.Headers, defaultCORSHeaders), ", ")),
		maxAge:       strconv.AppendInt(nil, defaultCORSMaxAge, 10),
		expose:       []byte(strings.Join(c.ExposeHeaders, ", ")),
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
		p.maxAge = strconv.AppendInt(nil, int64(*c.MaxAge), 10)
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
	origin := ctx.Request.Header.PeekCanonical(hOrigin)
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
		h.SetCanonical(hAllowOrigin, valueAnyOrigin)
	} else {
		h.SetCanonical(hAllowOrigin, origin)
		addVary(h, valuePreflightVary)
	}
	h.SetCanonical(hAllowMethods, p.allowMethods)
	h.SetCanonical(hAllowHeaders, p.allowHeaders)
	if p.credentials {
		h.SetCanonical(hAllowCreds, valueTrue)
	}
	h.SetCanonical(hMaxAge, p.maxAge)
}

// apply adds CORS headers to an actual (non-preflight) response of any kind.
func (p *corsPolicy) apply(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	if p.wildcard {
		h.SetCanonical(hAllowOrigin, valueAnyOrigin)
	} else {
		origin := ctx.Request.Header.PeekCanonical(hOrigin)
		if len(origin) == 0 || !p.allows(origin) {
			return
		}
		h.SetCanonical(hAllowOrigin, origin)
		addVary(h, valueVaryOrigin)
	}
	if p.credentials {
		h.SetCanonical(hAllowCreds, valueTrue)
	}
	if len(p.expose) > 0 {
		h.SetCanonical(hExposeHeaders, p.expose)
	}
}

// addVary appends tokens (a comma-separated list) to Vary without clobbering what
// the handler set and without repeating a token already present.
func addVary(h *fasthttp.ResponseHeader, tokens []byte) {
	cur := h.PeekCanonical(hVary)
	if len(cur) == 0 {
		h.SetCanonical(hVary, tokens)
		return
	}
	out := append([]byte(nil), cur...)
	for tok := range bytes.SplitSeq(tokens, []byte(",")) {
		tok = bytes.TrimSpace(tok)
		if !varyHas(cur, tok) {
			out = append(out, ", "...)
			out = append(out, tok...)
		}
	}
	h.SetCanonical(hVary, out)
}

func varyHas(vary, token []byte) bool {
	for part := range bytes.SplitSeq(vary, []byte(",")) {
		part = bytes.TrimSpace(part)
		if string(part) == "*" || bytes.EqualFold(part, token) {
			return true
		}
	}
	return false
}
