package router

import (
	"fmt"
	"slices"
	"strings"
)

// ParamInfo describes a parameter declared in a pattern. Type is the
// ":type" suffix as written ("" if none); only "path" affects routing.
type ParamInfo struct {
	Name string
	Type string
}

// segKind is declared from most to least specific, the order in which the
// tree tries a node's children.
type segKind uint8

const (
	segStatic   segKind = iota
	segAffixed          // parameter with a literal prefix and/or suffix: "v{n}", "{name}.json"
	segParam            // whole-segment parameter: "{id}"
	segCatchAll         // "{rest:path}", always last
)

// segment is one '/'-separated piece of a pattern.
type segment struct {
	kind   segKind
	text   string // the literal, for segStatic
	prefix string // literal before the parameter, for segAffixed
	suffix string // literal after the parameter, for segAffixed
	param  ParamInfo
}

type pattern struct {
	segs   []segment
	params []ParamInfo
}

// parsePattern splits a pattern into segments exactly as Lookup splits a path:
// drop the leading '/', then cut at every '/'. So "/" is one empty segment and
// "/users/" ends with one, which keeps trailing slashes significant.
func parsePattern(s string) (pattern, error) {
	if !strings.HasPrefix(s, "/") {
		return pattern{}, invalid(s, "must start with /")
	}
	parts := strings.Split(s[1:], "/")
	var p pattern
	for i, part := range parts {
		seg, problem := parseSegment(part)
		if problem != "" {
			return pattern{}, invalid(s, problem)
		}
		if seg.kind == segStatic {
			p.segs = append(p.segs, seg)
			continue
		}
		if seg.kind == segCatchAll && i != len(parts)-1 {
			return pattern{}, invalid(s, fmt.Sprintf("catch-all {%s:path} must be the last segment", seg.param.Name))
		}
		if slices.ContainsFunc(p.params, func(q ParamInfo) bool { return q.Name == seg.param.Name }) {
			return pattern{}, invalid(s, fmt.Sprintf("duplicate parameter name %q", seg.param.Name))
		}
		p.params = append(p.params, seg.param)
		p.segs = append(p.segs, seg)
	}
	if len(p.params) > MaxParams {
		return pattern{}, invalid(s, fmt.Sprintf("more than %d parameters", MaxParams))
	}
	return p, nil
}

// parseSegment parses one segment, returning a description of what is wrong
// with it instead of an error so the caller can name the whole pattern.
func parseSegment(s string) (segment, string) {
	open, end := strings.IndexByte(s, '{'), strings.IndexByte(s, '}')
	if open < 0 && end < 0 {
		return segment{kind: segStatic, text: s}, ""
	}
	if open < 0 || end < open || strings.IndexByte(s[open+1:end], '{') >= 0 {
		return segment{}, fmt.Sprintf("unbalanced braces in segment %q", s)
	}
	inner, after := s[open+1:end], s[end+1:]
	if strings.IndexByte(after, '{') >= 0 {
		return segment{}, fmt.Sprintf("more than one parameter in segment %q", s)
	}
	if strings.IndexByte(after, '}') >= 0 {
		return segment{}, fmt.Sprintf("unbalanced braces in segment %q", s)
	}
	name, typ, typed := strings.Cut(inner, ":")
	switch {
	case name == "":
		return segment{}, fmt.Sprintf("empty parameter name in segment %q", s)
	case !isIdent(name):
		return segment{}, fmt.Sprintf("parameter name %q is not an identifier", name)
	case typed && !isIdent(typ):
		return segment{}, fmt.Sprintf("parameter %q has invalid type %q", name, typ)
	}
	seg := segment{prefix: s[:open], suffix: after, param: ParamInfo{Name: name, Type: typ}}
	switch {
	case typ == "path" && (seg.prefix != "" || seg.suffix != ""):
		return segment{}, fmt.Sprintf("catch-all {%s:path} must be a whole segment", name)
	case typ == "path":
		seg.kind = segCatchAll
	case seg.prefix == "" && seg.suffix == "":
		seg.kind = segParam
	default:
		seg.kind = segAffixed
	}
	return seg, ""
}

// isIdent reports whether s is an ASCII identifier; names end up as Python
// keyword arguments, and types are names too.
func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

func invalid(pattern, problem string) error {
	return fmt.Errorf("router: invalid pattern %q: %s", pattern, problem)
}
