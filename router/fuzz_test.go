package router

import (
	"cmp"
	"strings"
	"testing"
)

// FuzzLookup checks that no path or method makes Lookup panic, and that
// every answer agrees with a brute-force oracle that tries every route.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"/", "", "//", "/users/42/posts/7", "/a/b/d", "/files/v.json", "/files/.json",
		"/static/", "/static//", "/a//1/", "/users/%2F", "/v/items", "users", "/\x00/\xff",
		"/users/42/posts/7/", "/files/a/b.json", "/a/b/c/d/e/f/g/h",
	} {
		for _, m := range []string{"GET", "POST", "DELETE", "HEAD", "TRACE"} {
			f.Add(m, []byte(s))
		}
	}
	r := newTestRouter(f)
	parsed := make([]pattern, len(testRoutes))
	for i, rt := range testRoutes {
		p, err := parsePattern(rt.pattern)
		if err != nil {
			f.Fatal(err)
		}
		parsed[i] = p
	}

	f.Fuzz(func(t *testing.T, method string, path []byte) {
		// Allowed lists exactly the methods with a route the oracle matches.
		var allowed MethodSet
		for i, rt := range testRoutes {
			if _, hit := naiveMatch(parsed[i].segs, string(path)); hit {
				allowed = allowed.With(rt.method)
			}
		}
		if got := r.Allowed(path); got != allowed {
			t.Fatalf("Allowed(%q) = %q, want %q", path, got, allowed)
		}

		var ps Params
		id, ok := r.Lookup([]byte(method), path, &ps)

		want, values := -1, []string(nil)
		for i, rt := range testRoutes {
			if rt.method != method {
				continue
			}
			v, hit := naiveMatch(parsed[i].segs, string(path))
			if !hit {
				continue
			}
			if want >= 0 {
				c := compareSpecificity(parsed[i].segs, parsed[want].segs)
				if c == 0 {
					t.Fatalf("%q matches both %s and %s equally", path, rt.pattern, testRoutes[want].pattern)
				}
				if c > 0 {
					continue
				}
			}
			want, values = i, v
		}

		if !ok {
			if want >= 0 {
				t.Fatalf("%s %q: miss, want %s", method, path, testRoutes[want].pattern)
			}
			if ps.Len() != 0 {
				t.Fatalf("%s %q: miss with %d params", method, path, ps.Len())
			}
			return
		}
		if id != want {
			t.Fatalf("%s %q: got %d, want %d", method, path, id, want)
		}
		if ps.Len() != len(values) {
			t.Fatalf("%s %q: %d params, want %d", method, path, ps.Len(), len(values))
		}
		for i, v := range values {
			got := ps.Value(i)
			if string(got) != v || ps.Name(i) != parsed[want].params[i].Name {
				t.Fatalf("%s %q: param %d = %s=%q, want %s=%q", method, path, i, ps.Name(i), got, parsed[want].params[i].Name, v)
			}
			if !aliases(got, path) {
				t.Fatalf("%s %q: param %d was copied, not sliced from the path", method, path, i)
			}
		}
		if !r.Allowed(path).Has(method) {
			t.Fatalf("%s %q: Lookup hits but Allowed does not list the method", method, path)
		}
	})
}

// naiveMatch matches a path against segments without a tree.
func naiveMatch(segs []segment, path string) ([]string, bool) {
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	parts := strings.Split(path[1:], "/")
	var values []string
	for i, s := range segs {
		if s.kind == segCatchAll {
			rest := strings.Join(parts[i:], "/")
			return append(values, rest), rest != ""
		}
		if i >= len(parts) {
			return nil, false
		}
		p := parts[i]
		switch s.kind {
		case segStatic:
			if p != s.text {
				return nil, false
			}
		case segParam:
			if p == "" {
				return nil, false
			}
			values = append(values, p)
		case segAffixed:
			v, ok := strings.CutPrefix(p, s.prefix)
			v, ok2 := strings.CutSuffix(v, s.suffix)
			if !ok || !ok2 || len(p) <= len(s.prefix)+len(s.suffix) {
				return nil, false
			}
			values = append(values, v)
		}
	}
	return values, len(parts) == len(segs)
}

// compareSpecificity orders two patterns by the first segment where their
// kinds or literals differ; more specific is smaller.
func compareSpecificity(a, b []segment) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if c := cmp.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		if x.kind == segAffixed {
			if c := cmp.Or(
				-cmp.Compare(len(x.prefix)+len(x.suffix), len(y.prefix)+len(y.suffix)),
				-cmp.Compare(len(x.prefix), len(y.prefix)),
				strings.Compare(x.prefix, y.prefix),
				strings.Compare(x.suffix, y.suffix),
			); c != 0 {
				return c
			}
		}
	}
	return cmp.Compare(len(a), len(b))
}

// aliases reports whether v shares path's backing array (both end at the
// same last element of their capacity), i.e. v was sliced, not copied.
func aliases(v, path []byte) bool {
	vf, pf := v[:cap(v)], path[:cap(path)]
	return len(vf) > 0 && len(pf) > 0 && &vf[len(vf)-1] == &pf[len(pf)-1]
}
