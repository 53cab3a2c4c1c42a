package router

import "testing"

func benchmarkLookup(b *testing.B, method, path string, wantHit bool) {
	r := newTestRouter(b)
	m, p := []byte(method), []byte(path)
	var ps Params
	if _, ok := r.Lookup(m, p, &ps); ok != wantHit {
		b.Fatalf("%s %s: hit = %v, want %v", method, path, ok, wantHit)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Lookup(m, p, &ps)
	}
}

func BenchmarkLookupStatic(b *testing.B)    { benchmarkLookup(b, "GET", "/users/me", true) }
func BenchmarkLookupParam(b *testing.B)     { benchmarkLookup(b, "GET", "/users/42", true) }
func BenchmarkLookupTwoParams(b *testing.B) { benchmarkLookup(b, "GET", "/users/42/posts/7", true) }
func BenchmarkLookupCatchAll(b *testing.B)  { benchmarkLookup(b, "GET", "/static/css/site.css", true) }
func BenchmarkLookupMiss(b *testing.B)      { benchmarkLookup(b, "GET", "/users/42/comments", false) }

func BenchmarkAllowed(b *testing.B) {
	r := newTestRouter(b)
	p := []byte("/users/42")
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = r.Allowed(p).AppendAllow(buf[:0])
	}
}
