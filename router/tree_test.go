package router

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// buildTree inserts patterns into one tree; handler ids are slice indices.
func buildTree(t *testing.T, patterns ...string) *node {
	t.Helper()
	root := &node{}
	for i, pat := range patterns {
		p, err := parsePattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		lf := &leaf{handlerID: i, pattern: pat}
		for _, pi := range p.params {
			lf.names = append(lf.names, pi.Name)
		}
		if old := root.insert(p.segs, lf); old != nil {
			t.Fatalf("insert %s: conflicts with %s", pat, old.pattern)
		}
	}
	return root
}

// matchString renders a match as "pattern name=value ..." or "" for a miss.
func matchString(root *node, path string) string {
	var ps Params
	lf := root.match([]byte(path), 1, &ps)
	if lf == nil {
		return ""
	}
	ps.names = lf.names
	var b strings.Builder
	b.WriteString(lf.pattern)
	for i := range ps.Len() {
		fmt.Fprintf(&b, " %s=%s", ps.Name(i), ps.Value(i))
	}
	return b.String()
}

func TestTreeMatch(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		path     string
		want     string
	}{
		{"plain param", []string{"/users/{id}"}, "/users/42", "/users/{id} id=42"},
		{"param is one segment", []string{"/users/{id}"}, "/users/42/x", ""},
		{"param is not empty", []string{"/users/{id}"}, "/users/", ""},
		{"trailing slash is significant", []string{"/users/{id}"}, "/users/42/", ""},
		{"trailing slash pattern", []string{"/users/{id}/"}, "/users/42/", "/users/{id}/ id=42"},
		{"trailing slash pattern needs it", []string{"/users/{id}/"}, "/users/42", ""},
		{"raw value, no decoding", []string{"/f/{name}"}, "/f/a%2Fb%20c", "/f/{name} name=a%2Fb%20c"},
		{"root param", []string{"/{x}"}, "/", ""},
		{"empty segment is static", []string{"/a//{x}"}, "/a//1", "/a//{x} x=1"},
		{"type is not checked", []string{"/n/{id:int}"}, "/n/abc", "/n/{id:int} id=abc"},

		{"suffix", []string{"/files/{name}.json"}, "/files/report.json", "/files/{name}.json name=report"},
		{"suffix needs non-empty value", []string{"/files/{name}.json"}, "/files/.json", ""},
		{"suffix must match", []string{"/files/{name}.json"}, "/files/report.xml", ""},
		{"prefix", []string{"/v{version}/x"}, "/v2/x", "/v{version}/x version=2"},
		{"prefix needs non-empty value", []string{"/v{version}/x"}, "/v/x", ""},
		{"prefix and suffix", []string{"/img/a{n}b"}, "/img/a12b", "/img/a{n}b n=12"},
		{"prefix and suffix overlap", []string{"/img/ab{n}ba"}, "/img/aba", ""},

		{"catch-all", []string{"/static/{p:path}"}, "/static/css/a.css", "/static/{p:path} p=css/a.css"},
		{"catch-all keeps slashes", []string{"/static/{p:path}"}, "/static/a//b/", "/static/{p:path} p=a//b/"},
		{"catch-all is not empty", []string{"/static/{p:path}"}, "/static/", ""},
		{"catch-all needs its slash", []string{"/static/{p:path}"}, "/static", ""},
		{"root catch-all", []string{"/{p:path}"}, "/x/y", "/{p:path} p=x/y"},
		{"root catch-all is not empty", []string{"/{p:path}"}, "/", ""},

		{"static beats param", []string{"/users/{id}", "/users/me"}, "/users/me", "/users/me"},
		{"affixed beats param", []string{"/files/{name}", "/files/{name}.json"}, "/files/a.json", "/files/{name}.json name=a"},
		{"param when affixed fails", []string{"/files/{name}", "/files/{name}.json"}, "/files/a.xml", "/files/{name} name=a.xml"},
		{"param beats catch-all", []string{"/f/{p:path}", "/f/{name}"}, "/f/a", "/f/{name} name=a"},
		{"catch-all when param too short", []string{"/f/{p:path}", "/f/{name}"}, "/f/a/b", "/f/{p:path} p=a/b"},
		{"more literal text first", []string{"/f/{n}.json", "/f/{n}.tar.gz", "/f/{n}.gz"}, "/f/x.tar.gz", "/f/{n}.tar.gz n=x"},
		{"longer prefix first on tie", []string{"/f/{n}xy", "/f/ab{n}"}, "/f/ab1xy", "/f/ab{n} n=1xy"},

		{"backtrack from static", []string{"/a/b/c", "/a/{x}/d"}, "/a/b/d", "/a/{x}/d x=b"},
		{"backtrack from static, static wins", []string{"/a/b/c", "/a/{x}/d"}, "/a/b/c", "/a/b/c"},
		{"backtrack from static to end", []string{"/a/b/c", "/a/{x}"}, "/a/b", "/a/{x} x=b"},
		{"backtrack from affixed", []string{"/a/{x}.j/c", "/a/{y}/d"}, "/a/1.j/d", "/a/{y}/d y=1.j"},
		{"backtrack pops params", []string{"/a/{x}/{y}/c", "/a/{z}/b"}, "/a/1/b", "/a/{z}/b z=1"},
		{"backtrack to catch-all", []string{"/a/{x}/c", "/a/{p:path}"}, "/a/1/d", "/a/{p:path} p=1/d"},
		{"backtrack two levels", []string{"/a/b/c/d", "/a/b/{x}/e", "/a/{y}/c/f"}, "/a/b/c/f", "/a/{y}/c/f y=b"},
		{"different names per position", []string{"/u/{id}/posts", "/u/{user_id}/likes"}, "/u/7/likes", "/u/{user_id}/likes user_id=7"},
		{"many params", []string{"/{a}/{b}/{c}/{d}"}, "/1/2/3/4", "/{a}/{b}/{c}/{d} a=1 b=2 c=3 d=4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := buildTree(t, tt.patterns...)
			if got := matchString(root, tt.path); got != tt.want {
				t.Errorf("match %q = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestTreeConflicts(t *testing.T) {
	tests := []struct {
		a, b     string
		conflict bool
	}{
		{"/a/{x}", "/a/{y}", true},
		{"/a/{x:int}", "/a/{y:str}", true},
		{"/a/{x}.json", "/a/{y}.json", true},
		{"/a/{p:path}", "/a/{q:path}", true},
		{"/u/{id}/posts", "/u/{user_id}/posts", true},
		{"/a/{x}", "/a/{x}/", false},
		{"/a/{x}", "/a/{x}.json", false},
		{"/a/{x}.json", "/a/v{x}", false},
		{"/a/{x}", "/a/{p:path}", false},
		{"/u/{id}/posts", "/u/{user_id}/likes", false},
	}
	for _, tt := range tests {
		root := buildTree(t, tt.a)
		p, err := parsePattern(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		old := root.insert(p.segs, &leaf{pattern: tt.b})
		if got := old != nil; got != tt.conflict {
			t.Errorf("insert %s after %s: conflict = %v, want %v", tt.b, tt.a, got, tt.conflict)
		}
		if old != nil && old.pattern != tt.a {
			t.Errorf("insert %s: conflict reported with %s, want %s", tt.b, old.pattern, tt.a)
		}
	}
}

func TestAffixedOrderIgnoresRegistrationOrder(t *testing.T) {
	patterns := []string{"/f/{n}", "/f/{n}.json", "/f/{n}.gz", "/f/{n}.tar.gz", "/f/x{n}", "/f/x{n}.gz", "/f/y{n}"}
	var want []string
	for i, perm := range [][]int{{0, 1, 2, 3, 4, 5, 6}, {6, 5, 4, 3, 2, 1, 0}, {3, 0, 5, 1, 6, 2, 4}} {
		var ordered []string
		for _, j := range perm {
			ordered = append(ordered, patterns[j])
		}
		root := buildTree(t, ordered...)
		var got []string
		for _, c := range root.static["f"].affixed {
			got = append(got, c.prefix+"{}"+c.suffix)
		}
		if i == 0 {
			want = got
			if !slices.Equal(want, []string{"{}.tar.gz", "{}.json", "x{}.gz", "{}.gz", "x{}", "y{}"}) {
				t.Fatalf("affixed order = %v", want)
			}
		} else if !slices.Equal(got, want) {
			t.Errorf("order for permutation %v = %v, want %v", perm, got, want)
		}
	}
}
