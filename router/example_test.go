package router_test

import (
	"fmt"

	"djangobolt/router"
)

func Example() {
	r := router.New()
	for i, rt := range []struct{ method, pattern string }{
		{"GET", "/users/me"},
		{"GET", "/users/{id:int}"},
		{"DELETE", "/users/{id:int}"},
		{"GET", "/static/{path:path}"},
	} {
		if err := r.Add(rt.method, rt.pattern, i); err != nil {
			panic(err)
		}
	}

	// One Params per request (or per worker), reused across lookups.
	var ps router.Params
	for _, req := range []struct{ method, path string }{
		{"GET", "/users/me"},
		{"GET", "/users/42"},
		{"GET", "/static/css/site.css"},
		{"PUT", "/users/42"},
		{"GET", "/nope"},
	} {
		path := []byte(req.path)
		id, ok := r.Lookup([]byte(req.method), path, &ps)
		if !ok {
			if allow := r.Allowed(path); allow != 0 {
				fmt.Printf("%s %s -> 405, Allow: %s\n", req.method, req.path, allow)
			} else {
				fmt.Printf("%s %s -> 404\n", req.method, req.path)
			}
			continue
		}
		fmt.Printf("%s %s -> handler %d", req.method, req.path, id)
		for i := range ps.Len() {
			fmt.Printf(" %s=%s", ps.Name(i), ps.Value(i))
		}
		fmt.Println()
	}

	// Declared types are kept for the binder; routing ignores them.
	fmt.Println(r.Routes()[1].Params)
	// Output:
	// GET /users/me -> handler 0
	// GET /users/42 -> handler 1 id=42
	// GET /static/css/site.css -> handler 3 path=css/site.css
	// PUT /users/42 -> 405, Allow: GET, DELETE
	// GET /nope -> 404
	// [{id int}]
}
