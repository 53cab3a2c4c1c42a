package server

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// The access log (BOLT_ACCESS_LOG): one line per request, text or JSON, on stderr.
// Which requests get a line, and what it says, is a logPolicy: the BOLT_ACCESS_LOG*
// settings, or for the routes of an API with a LoggingConfig, that config's.

// logPolicy decides the access-log line of a request.
type logPolicy struct {
	sample     float64       // fraction of successful requests logged
	slow       time.Duration // successful requests faster than this are not logged
	skipPaths  map[string]struct{}
	skipStatus map[int]struct{}
	query      bool // the path is logged with its query string
	userAgent  bool
	level      string // of successful requests' lines
	errorLevel string // of 5xx lines; 4xx lines are WARNING
}

// logPolicies returns the policy of requests outside any route's policy (404s, static
// files, the Django site) and each route's, by handler id (nil: the first one).
func logPolicies(st *Settings, routes []*route) (logPolicy, []*logPolicy) {
	base := logPolicy{
		sample: st.AccessLogSample,
		slow:   time.Duration(st.AccessLogSlowMS) * time.Millisecond,
		query:  true, level: "INFO", errorLevel: "ERROR",
	}
	var rules []*logPolicy
	for id, r := range routes {
		if r == nil || r.spec.AccessLog == nil {
			continue
		}
		if rules == nil {
			rules = make([]*logPolicy, len(routes))
		}
		rules[id] = base.with(r.spec.AccessLog)
	}
	return base, rules
}

// with is base as an API's LoggingConfig changes it.
func (base logPolicy) with(c *AccessLogPolicy) *logPolicy {
	p := base
	if c.SampleRate != nil {
		p.sample = *c.SampleRate
	}
	if c.MinDurationMS != nil {
		p.slow = time.Duration(*c.MinDurationMS * float64(time.Millisecond))
	}
	if len(c.SkipPaths) > 0 {
		p.skipPaths = make(map[string]struct{}, len(c.SkipPaths))
		for _, path := range c.SkipPaths {
			p.skipPaths[path] = struct{}{}
		}
	}
	if len(c.SkipStatusCodes) > 0 {
		p.skipStatus = make(map[int]struct{}, len(c.SkipStatusCodes))
		for _, code := range c.SkipStatusCodes {
			p.skipStatus[code] = struct{}{}
		}
	}
	p.query, p.userAgent, p.level, p.errorLevel = c.Query, c.UserAgent, c.Level, c.ErrorLevel
	return &p
}

// policy is the access-log policy of the route with handler id (-1: none).
func (o *observer) policy(id int) *logPolicy {
	if id >= 0 && id < len(o.logRules) && o.logRules[id] != nil {
		return o.logRules[id]
	}
	return &o.logRule
}

// lineLevel is the level a request's line is written at, or "" when it gets none:
// skipped paths and statuses never, successful requests when sampled in and slow
// enough, errors always.
func (p *logPolicy) lineLevel(ctx *fasthttp.RequestCtx, status int, elapsed time.Duration) string {
	if p.skipPaths != nil {
		if _, skip := p.skipPaths[string(ctx.Path())]; skip {
			return ""
		}
	}
	if _, skip := p.skipStatus[status]; skip {
		return ""
	}
	switch {
	case status >= 500:
		return p.errorLevel
	case status >= 400:
		return "WARNING"
	case elapsed < p.slow || (p.sample < 1 && rand.Float64() >= p.sample):
		return ""
	}
	return p.level
}

// log writes the request's access-log line, if its policy gives it one.
func (o *observer) log(ctx *fasthttp.RequestCtx, s *Server, id int, elapsed time.Duration) {
	p := o.policy(id)
	status := ctx.Response.StatusCode()
	level := p.lineLevel(ctx, status, elapsed)
	if level == "" {
		return
	}
	size := -1 // streamed: unknown when the handler returns
	if !ctx.Response.IsBodyStream() {
		size = len(ctx.Response.Body())
	}
	route := ""
	if id >= 0 {
		route = s.routes[id].spec.Path
	}
	uri := ctx.RequestURI()
	if !p.query {
		if i := bytes.IndexByte(uri, '?'); i >= 0 {
			uri = uri[:i]
		}
	}
	rid := ctx.Request.Header.Peek(headerRequestID)
	var line []byte
	now := time.Now().UTC()
	ms := float64(elapsed.Microseconds()) / 1000
	if o.logFormat == "json" {
		line = append(line, `{"time":"`...)
		line = now.AppendFormat(line, time.RFC3339Nano)
		line = append(line, `","level":"`...)
		line = append(line, level...)
		line = append(line, `","remote":`...)
		line = appendJSONString(line, ctx.RemoteIP().String())
		line = append(line, `,"method":`...)
		line = appendJSONString(line, string(ctx.Method()))
		line = append(line, `,"path":`...)
		line = appendJSONString(line, string(uri))
		line = append(line, `,"route":`...)
		line = appendJSONString(line, route)
		line = append(line, `,"status":`...)
		line = strconv.AppendInt(line, int64(status), 10)
		line = append(line, `,"bytes":`...)
		line = strconv.AppendInt(line, int64(size), 10)
		line = append(line, `,"duration_ms":`...)
		line = strconv.AppendFloat(line, ms, 'f', 3, 64)
		if p.userAgent {
			line = append(line, `,"user_agent":`...)
			line = appendJSONString(line, string(ctx.UserAgent()))
		}
		if o.requestIDs {
			line = append(line, `,"request_id":`...)
			line = appendJSONString(line, string(rid))
		}
		line = append(line, "}\n"...)
	} else {
		line = now.AppendFormat(line, time.RFC3339)
		line = append(line, ' ')
		line = append(line, level...)
		line = append(line, ' ')
		line = append(line, ctx.RemoteIP().String()...)
		line = append(line, ` "`...)
		line = append(line, ctx.Method()...)
		line = append(line, ' ')
		line = append(line, uri...)
		line = append(line, `" `...)
		line = strconv.AppendInt(line, int64(status), 10)
		line = append(line, ' ')
		if size >= 0 {
			line = strconv.AppendInt(line, int64(size), 10)
		} else {
			line = append(line, '-')
		}
		line = append(line, ' ')
		line = strconv.AppendFloat(line, ms, 'f', 3, 64)
		line = append(line, "ms"...)
		if p.userAgent {
			line = append(line, " ua="...)
			line = appendJSONString(line, string(ctx.UserAgent()))
		}
		if o.requestIDs {
			line = append(line, " rid="...)
			line = append(line, rid...)
		}
		line = append(line, '\n')
	}
	o.logMu.Lock()
	o.logOut.Write(line)
	o.logMu.Unlock()
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control bytes
// escaped, invalid UTF-8 replaced (request bytes are the client's).
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, r := range s { // invalid UTF-8 comes out as U+FFFD
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r < 0x20 || r == 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
