package router

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePattern(t *testing.T) {
	st := func(s string) segment { return segment{kind: segStatic, text: s} }
	tests := []struct {
		pattern string
		segs    []segment
	}{
		{"/", []segment{st("")}},
		{"/users", []segment{st("users")}},
		{"/users/", []segment{st("users"), st("")}},
		{"/a//b", []segment{st("a"), st(""), st("b")}},
		{"/users/{id}", []segment{st("users"), {kind: segParam, param: ParamInfo{"id", ""}}}},
		{"/users/{id:int}/", []segment{st("users"), {kind: segParam, param: ParamInfo{"id", "int"}}, st("")}},
		{"/files/{name}.json", []segment{st("files"), {kind: segAffixed, suffix: ".json", param: ParamInfo{"name", ""}}}},
		{"/v{version:int}/x", []segment{{kind: segAffixed, prefix: "v", param: ParamInfo{"version", "int"}}, st("x")}},
		{"/img/a{n}b", []segment{st("img"), {kind: segAffixed, prefix: "a", suffix: "b", param: ParamInfo{"n", ""}}}},
		{"/static/{rest:path}", []segment{st("static"), {kind: segCatchAll, param: ParamInfo{"rest", "path"}}}},
		{"/{all:path}", []segment{{kind: segCatchAll, param: ParamInfo{"all", "path"}}}},
	}
	for _, tt := range tests {
		p, err := parsePattern(tt.pattern)
		if err != nil {
			t.Errorf("parsePattern(%q): %v", tt.pattern, err)
			continue
		}
		if !reflect.DeepEqual(p.segs, tt.segs) {
			t.Errorf("parsePattern(%q).segs =\n%+v\nwant\n%+v", tt.pattern, p.segs, tt.segs)
		}
		var params []ParamInfo
		for _, s := range tt.segs {
			if s.kind != segStatic {
				params = append(params, s.param)
			}
		}
		if !reflect.DeepEqual(p.params, params) {
			t.Errorf("parsePattern(%q).params = %v, want %v", tt.pattern, p.params, params)
		}
	}
}

func TestParsePatternErrors(t *testing.T) {
	var b strings.Builder // MaxParams+1 distinct parameters
	for i := range MaxParams + 1 {
		b.WriteString("/{p" + string(rune('a'+i)) + "}")
	}
	tests := []struct {
		pattern string
		want    string
	}{
		{"", "must start with /"},
		{"users", "must start with /"},
		{"/users/{id", "unbalanced braces"},
		{"/users/id}", "unbalanced braces"},
		{"/users/}id{", "unbalanced braces"},
		{"/users/{{id}}", "unbalanced braces"},
		{"/users/{id}}", "unbalanced braces"},
		{"/users/{a/b}", "unbalanced braces"},
		{"/users/{}", "empty parameter name"},
		{"/users/{:int}", "empty parameter name"},
		{"/users/{1d}", "not an identifier"},
		{"/users/{i-d}", "not an identifier"},
		{"/users/{id:}", "invalid type"},
		{"/users/{id:in t}", "invalid type"},
		{"/users/{a}{b}", "more than one parameter"},
		{"/users/{a}-{b}", "more than one parameter"},
		{"/files/{p:path}/x", "must be the last segment"},
		{"/files/{p:path}/", "must be the last segment"},
		{"/files/x{p:path}", "must be a whole segment"},
		{"/files/{p:path}.gz", "must be a whole segment"},
		{"/u/{id}/p/{id}", `duplicate parameter name "id"`},
		{"/u/{id:int}/p/v{id}", `duplicate parameter name "id"`},
		{b.String(), "more than 16 parameters"},
	}
	for _, tt := range tests {
		_, err := parsePattern(tt.pattern)
		if err == nil {
			t.Errorf("parsePattern(%q) succeeded, want error containing %q", tt.pattern, tt.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, `"`+tt.pattern+`"`) {
			t.Errorf("parsePattern(%q) error = %q, want it to name the pattern and contain %q", tt.pattern, msg, tt.want)
		}
	}
}

func TestIsIdent(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"id", true},
		{"_x", true},
		{"user_id2", true},
		{"ID", true},
		{"", false},
		{"2x", false},
		{"a-b", false},
		{"a b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := isIdent(tt.s); got != tt.want {
			t.Errorf("isIdent(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}
