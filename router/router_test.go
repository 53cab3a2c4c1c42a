package router

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

type testRoute struct {
	method, pattern string
}

// testRoutes is shared by the Lookup, fuzz and benchmark tests; a route's
// handler id is its index.
var testRoutes = []testRoute{
	{"GET", "/"},
	{"GET", "/health"},
	{"GET", "/users"},
	{"GET", "/users/"},
	{"POST", "/users"},
	{"GET", "/users/me"},
	{"GET", "/users/{id:int}"},
	{"PUT", "/users/{id:int}"},
	{"PATCH", "/users/{id:int}"},
	{"DELETE", "/users/{id:int}"},
	{"GET", "/users/{id}/posts"},
	{"GET", "/users/{user_id}/likes"},
	{"GET", "/users/{id}/posts/{post_id}"},
	{"GET", "/a/b/c"},
	{"GET", "/a/{x}/d"},
	{"GET", "/a/{x}"},
	{"GET", "/files/{name}.json"},
	{"GET", "/files/{name}"},
	{"GET", "/files/v{n}.json"},
	{"GET", "/files/{p:path}"},
	{"GET", "/v{version}/items"},
	{"GET", "/static/{path:path}"},
	{"HEAD", "/static/{path:path}"},
	{"OPTIONS", "/users"},
	{"POST", "/{p:path}"},
	{"POST", "/a/{x}"},
	{"DELETE", "/a//{x}/"},
}

func newTestRouter(tb testing.TB) *Router {
	tb.Helper()
	r := New()
	for i, rt := range testRoutes {
		if err := r.Add(rt.method, rt.pattern, i); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

func routeIndex(method, pattern string) int {
	for i, rt := range testRoutes {
		if rt.method == method && rt.pattern == pattern {
			return i
		}
	}
	panic("no test route " + method + " " + pattern)
}

func TestLookup(t *testing.T) {
	r := newTestRouter(t)
	tests := []struct {
		method, path string
		pattern      string // "" for a miss
		params       string
	}{
		{"GET", "/", "/", ""},
		{"GET", "/health", "/health", ""},
		{"GET", "/health/", "", ""},
		{"GET", "/users", "/users", ""},
		{"GET", "/users/", "/users/", ""},
		{"POST", "/users", "/users", ""},
		{"GET", "/users/me", "/users/me", ""},
		{"GET", "/users/42", "/users/{id:int}", "id=42"},
		{"GET", "/users/abc", "/users/{id:int}", "id=abc"},
		{"DELETE", "/users/42", "/users/{id:int}", "id=42"},
		{"GET", "/users/42/posts", "/users/{id}/posts", "id=42"},
		{"GET", "/users/42/likes", "/users/{user_id}/likes", "user_id=42"},
		{"GET", "/users/me/likes", "/users/{user_id}/likes", "user_id=me"},
		{"GET", "/users/42/posts/7", "/users/{id}/posts/{post_id}", "id=42 post_id=7"},
		{"GET", "/users/42/posts/", "", ""},
		{"GET", "/a/b/c", "/a/b/c", ""},
		{"GET", "/a/b/d", "/a/{x}/d", "x=b"},
		{"GET", "/a/b", "/a/{x}", "x=b"},
		{"GET", "/files/a.json", "/files/{name}.json", "name=a"},
		{"GET", "/files/v2.json", "/files/v{n}.json", "n=2"},
		{"GET", "/files/a.txt", "/files/{name}", "name=a.txt"},
		{"GET", "/files/a/b.json", "/files/{p:path}", "p=a/b.json"},
		{"GET", "/v1/items", "/v{version}/items", "version=1"},
		{"GET", "/static/css/site.css", "/static/{path:path}", "path=css/site.css"},
		{"HEAD", "/static/x", "/static/{path:path}", "path=x"},
		{"GET", "/static/", "", ""},
		{"POST", "/a/1", "/a/{x}", "x=1"},
		{"POST", "/a/1/2", "/{p:path}", "p=a/1/2"},
		{"POST", "/", "", ""},
		{"DELETE", "/a//1/", "/a//{x}/", "x=1"},
		{"PUT", "/users", "", ""},
		{"TRACE", "/users", "", ""},
		{"get", "/users", "", ""},
		{"GET", "", "", ""},
		{"GET", "users", "", ""},
		{"GET", "/users?x=1", "", ""}, // the caller strips the query
		{"GET", "/nope", "", ""},
	}
	for _, tt := range tests {
		var ps Params
		id, ok := r.Lookup([]byte(tt.method), []byte(tt.path), &ps)
		if tt.pattern == "" {
			if ok || ps.Len() != 0 {
				t.Errorf("%s %q: got route %d with %d params, want a miss", tt.method, tt.path, id, ps.Len())
			}
			continue
		}
		want := routeIndex(tt.method, tt.pattern)
		if !ok || id != want {
			t.Errorf("%s %q: got %d, %v; want %d (%s)", tt.method, tt.path, id, ok, want, tt.pattern)
			continue
		}
		var got []string
		for i := range ps.Len() {
			got = append(got, fmt.Sprintf("%s=%s", ps.Name(i), ps.Value(i)))
		}
		if s := strings.Join(got, " "); s != tt.params {
			t.Errorf("%s %q: params %q, want %q", tt.method, tt.path, s, tt.params)
		}
	}
}

func TestLookupResetsParams(t *testing.T) {
	r := newTestRouter(t)
	var ps Params
	r.Lookup([]byte("GET"), []byte("/users/42/posts/7"), &ps)
	if _, ok := r.Lookup([]byte("GET"), []byte("/health"), &ps); !ok || ps.Len() != 0 {
		t.Errorf("static hit left %d params", ps.Len())
	}
	r.Lookup([]byte("GET"), []byte("/users/42/posts/7"), &ps)
	if _, ok := r.Lookup([]byte("GET"), []byte("/nope/x"), &ps); ok || ps.Len() != 0 {
		t.Errorf("miss left %d params", ps.Len())
	}
}

func TestAddErrors(t *testing.T) {
	tests := []struct {
		method, pattern string
		want            string
	}{
		{"GET", "/a/{y}", "router: route GET /a/{y} conflicts with GET /a/{x}"},
		{"GET", "/a/{y:int}", "router: route GET /a/{y:int} conflicts with GET /a/{x}"},
		{"GET", "/static", "router: route GET /static conflicts with GET /static"},
		{"POST", "/u/{name}/likes", "router: route POST /u/{name}/likes conflicts with POST /u/{id}/likes"},
		{"FETCH", "/a", `router: route FETCH /a: unsupported method "FETCH"`},
		{"get", "/a", `router: route get /a: unsupported method "get"`},
		{"GET", "a/{x}", `router: invalid pattern "a/{x}": must start with /`},
		{"GET", "/a/{x", `router: invalid pattern "/a/{x": unbalanced braces in segment "{x"`},
	}
	for _, tt := range tests {
		r := New()
		for _, rt := range []testRoute{{"GET", "/a/{x}"}, {"GET", "/static"}, {"POST", "/u/{id}/likes"}} {
			if err := r.Add(rt.method, rt.pattern, 1); err != nil {
				t.Fatal(err)
			}
		}
		err := r.Add(tt.method, tt.pattern, 2)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Add(%s, %s) = %v, want %q", tt.method, tt.pattern, err, tt.want)
		}
		if n := len(r.Routes()); n != 3 {
			t.Errorf("after failed Add(%s, %s): %d routes, want 3", tt.method, tt.pattern, n)
		}
		var ps Params
		if id, _ := r.Lookup([]byte("GET"), []byte("/a/1"), &ps); id != 1 {
			t.Errorf("after failed Add(%s, %s): GET /a/1 = %d, want 1", tt.method, tt.pattern, id)
		}
	}
}

func TestSameShapeOtherMethodIsNoConflict(t *testing.T) {
	r := New()
	for i, m := range methodNames {
		if err := r.Add(m, "/a/{x}", i); err != nil {
			t.Fatal(err)
		}
		if err := r.Add(m, "/a", i); err != nil {
			t.Fatal(err)
		}
	}
	var ps Params
	for i, m := range methodNames {
		if id, ok := r.Lookup([]byte(m), []byte("/a/1"), &ps); !ok || id != i {
			t.Errorf("%s /a/1 = %d, %v; want %d", m, id, ok, i)
		}
	}
}

func TestAllowed(t *testing.T) {
	r := newTestRouter(t)
	tests := []struct {
		path string
		want string
	}{
		{"/users", "GET, POST, OPTIONS"},
		{"/users/42", "GET, POST, PUT, PATCH, DELETE"}, // POST via /{p:path}
		{"/users/me", "GET, POST, PUT, PATCH, DELETE"}, // types are not checked
		{"/health", "GET, POST"},
		{"/static/x", "GET, POST, HEAD"},
		{"/", "GET"},
		{"/a//1/", "POST, DELETE"},
		{"", ""},
		{"nope", ""},
	}
	for _, tt := range tests {
		if got := r.Allowed([]byte(tt.path)).String(); got != tt.want {
			t.Errorf("Allowed(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestFirstSegments(t *testing.T) {
	r := New()
	for i, pattern := range []string{"/", "/users", "/users/{id}", "/files/{p:path}", "/a/b/c", "//x"} {
		if err := r.Add("GET", pattern, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Add("POST", "/orders/{id}/lines", 9); err != nil {
		t.Fatal(err)
	}
	literals, anyFirst := r.FirstSegments()
	if want := []string{"", "a", "files", "orders", "users"}; !reflect.DeepEqual(literals, want) || anyFirst {
		t.Errorf("FirstSegments() = %q, %v; want %q, false", literals, anyFirst, want)
	}
	// A path under none of them matches nothing, under any method.
	for _, path := range []string{"/nope", "/nope/users", "/usersx"} {
		if got := r.Allowed([]byte(path)); got != 0 {
			t.Errorf("Allowed(%q) = %q, want none", path, got)
		}
	}
	for _, pattern := range []string{"/{slug}", "/v{n}/items", "/{rest:path}"} {
		r := New()
		if err := r.Add("GET", "/users", 0); err != nil {
			t.Fatal(err)
		}
		if err := r.Add("PUT", pattern, 1); err != nil {
			t.Fatal(err)
		}
		if _, anyFirst := r.FirstSegments(); !anyFirst {
			t.Errorf("with %s, FirstSegments says no route matches any first segment", pattern)
		}
	}
}

// A method no route has misses at once, even on a path other methods have.
func TestLookupOfAMethodWithoutRoutes(t *testing.T) {
	r := New()
	if err := r.Add("GET", "/cors", 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Add("GET", "/items/{id}", 1); err != nil {
		t.Fatal(err)
	}
	var ps Params
	for _, path := range []string{"/cors", "/items/1"} {
		if id, ok := r.Lookup([]byte("OPTIONS"), []byte(path), &ps); ok {
			t.Errorf("Lookup(OPTIONS, %s) = %d, want a miss", path, id)
		}
		if _, ok := r.Lookup([]byte("GET"), []byte(path), &ps); !ok {
			t.Errorf("Lookup(GET, %s) missed", path)
		}
	}
}

func TestRoutes(t *testing.T) {
	r := New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Add("GET", "/users", 1))
	must(r.Add("PUT", "/users/{id:int}/files/{rest:path}", 2))
	want := []Route{
		{Method: "GET", Pattern: "/users", HandlerID: 1},
		{Method: "PUT", Pattern: "/users/{id:int}/files/{rest:path}", HandlerID: 2,
			Params: []ParamInfo{{Name: "id", Type: "int"}, {Name: "rest", Type: "path"}}},
	}
	got := r.Routes()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Routes() = %+v, want %+v", got, want)
	}
	got[1].Params[0].Name = "changed"
	if r.Routes()[1].Params[0].Name != "id" {
		t.Error("modifying the result of Routes changed the router")
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	r := newTestRouter(t)
	tests := []struct{ method, path string }{
		{"GET", "/users/me"},                // static
		{"GET", "/users/42/posts/7"},        // two params
		{"GET", "/a/b/d"},                   // backtracking
		{"GET", "/files/a.json"},            // affixed
		{"GET", "/static/css/site.css"},     // catch-all
		{"GET", "/users/42/nope"},           // miss
		{"TRACE", "/users"},                 // unknown method
		{"OPTIONS", "/users/x/y/z/w/v/u/t"}, // miss, method without tree
	}
	for _, tt := range tests {
		method, path := []byte(tt.method), []byte(tt.path)
		var ps Params
		if n := testing.AllocsPerRun(200, func() { r.Lookup(method, path, &ps) }); n != 0 {
			t.Errorf("Lookup(%s %s) allocates %v times per run", tt.method, tt.path, n)
		}
	}
	path := []byte("/users/42")
	var buf []byte
	if n := testing.AllocsPerRun(200, func() { buf = r.Allowed(path).AppendAllow(buf[:0]) }); n != 0 {
		t.Errorf("Allowed+AppendAllow allocates %v times per run", n)
	}
}

// TestConcurrentLookup is meant for -race: lookups share only the router.
func TestConcurrentLookup(t *testing.T) {
	r := newTestRouter(t)
	want := routeIndex("GET", "/users/{id}/posts/{post_id}")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var ps Params
			path := fmt.Appendf(nil, "/users/%d/posts/%d", g, g*2)
			for range 1000 {
				id, ok := r.Lookup([]byte("GET"), path, &ps)
				if v, _ := ps.Get("id"); !ok || id != want || string(v) != fmt.Sprint(g) {
					t.Errorf("goroutine %d: got %d, %v, id=%s", g, id, ok, v)
					return
				}
			}
		})
	}
	wg.Wait()
}
