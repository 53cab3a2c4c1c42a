// Package router maps an HTTP method and raw request path to a handler id.
//
// Build a Router at start-up with New and Add, then share it: after the last
// Add it is never written, so Lookup and Allowed are safe from any number of
// goroutines without locks.
//
//	r := router.New()
//	err := r.Add("GET", "/users/{id:int}", 7)
//	...
//	var ps router.Params
//	if id, ok := r.Lookup(method, path, &ps); ok {
//		v, _ := ps.Get("id") // []byte("42") for /users/42, sliced from path
//	}
//
// # Patterns
//
// A pattern starts with '/' and is split into '/'-separated segments, each
// either literal text or holding one parameter:
//
//	/users/me            literal segments
//	/users/{id}          {name} matches one non-empty segment
//	/users/{id:int}      a :type is recorded (see Routes) but not checked here
//	/files/{name}.json   a parameter may have a literal prefix and/or suffix
//	/static/{rest:path}  :path matches the non-empty rest, slashes included;
//	                     it must be the whole, last segment
//
// Matching is exact on the raw path: "/users" and "/users/" differ, and
// values are not percent-decoded. Strip the query string before Lookup.
//
// When several routes match, the most specific wins, compared segment by
// segment: literal, then a parameter with literal prefix/suffix (more
// literal text first), then a plain parameter, then a catch-all. If a more
// specific branch fails further along the path, the next one is tried, so
// with "/a/b/c" and "/a/{x}/d" the path "/a/b/d" matches the second.
// Routes for the same method and shape are ambiguous and rejected by Add,
// whatever their parameter names.
//
// # Methods
//
// GET, POST, PUT, PATCH, DELETE, HEAD and OPTIONS are supported. Nothing is
// implied between them: when Lookup misses, Allowed tells which methods the
// path has, so the caller can answer 405 with an Allow header (see
// MethodSet.AppendAllow), reply to OPTIONS, or serve HEAD with GET.
//
// # Performance
//
// Routes without parameters are found with one map lookup; the rest walk a
// per-method segment tree. Lookup allocates nothing: Params has room for
// MaxParams values and can be reused for every request.
package router
