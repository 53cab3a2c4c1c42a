package server

import "testing"

func TestTrailingSlashRedirect(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/items", HandlerID: 0},
		RouteSpec{Method: "POST", Path: "/orders/", HandlerID: 1},
		RouteSpec{Method: "GET", Path: "/users/{id}", HandlerID: 2},
		RouteSpec{Method: "GET", Path: "/both", HandlerID: 3},
		RouteSpec{Method: "GET", Path: "/both/", HandlerID: 4},
		RouteSpec{Method: "GET", Path: "/", HandlerID: 5},
	)
	tests := []struct {
		method, uri string
		status      int
		location    string
	}{
		{"GET", "/items/", 308, "/items"},
		{"GET", "/items/?q=a%20b&x=1", 308, "/items?q=a%20b&x=1"},
		{"HEAD", "/items/", 308, "/items"}, // HEAD is routed to GET routes
		{"POST", "/orders", 308, "/orders/"},
		{"POST", "/orders?next=1", 308, "/orders/?next=1"},
		{"GET", "/users/7/", 308, "/users/7"},
		// Only the same method is redirected: these paths exist for other methods.
		{"POST", "/items/", 404, ""},
		{"GET", "/orders", 404, ""},
		{"DELETE", "/orders", 404, ""},
		// Both spellings are routes: no redirect either way.
		{"GET", "/both", 200, ""},
		{"GET", "/both/", 200, ""},
		{"GET", "/nope/", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.uri, func(t *testing.T) {
			py := newFake(map[int]func(seenRequest) pyReply{
				0: answer(200, "x"), 1: answer(200, "x"), 2: answer(200, "x"), 3: answer(200, "x"), 4: answer(200, "x"), 5: answer(200, "x"),
			})
			s, _ := newTestServer(t, table, py)
			ctx := newCtx(tc.method, tc.uri)
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if got := r.get("Location"); got != tc.location {
				t.Errorf("Location = %q, want %q", got, tc.location)
			}
			if tc.status == 308 {
				if r.body != "" {
					t.Errorf("308 has body %q, want none", r.body)
				}
				if py.doCount() != 0 {
					t.Errorf("Python called for a redirect answered in Go")
				}
			}
		})
	}
}

func TestTrailingSlashRedirectBeforeAutomaticOptions(t *testing.T) {
	table := newTable(RouteSpec{Method: "OPTIONS", Path: "/x", HandlerID: 0}, RouteSpec{Method: "GET", Path: "/x/", HandlerID: 1})
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "x"), 1: answer(200, "y")})
	s, _ := newTestServer(t, table, py)
	ctx := newCtx("OPTIONS", "/x/")
	s.Handler()(ctx)
	if r := send(t, ctx); r.status != 308 || r.get("Location") != "/x" {
		t.Errorf("OPTIONS /x/ got %d %q, want 308 to the explicit OPTIONS route", r.status, r.get("Location"))
	}
}

// A Location that starts "//" or "/\\" sends a browser to another site: the redirect
// must never produce one, whatever path the client sent.
func TestTrailingSlashRedirectIsNeverOffSite(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/{a}/", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/{a}/{b}/", HandlerID: 1},
	)
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "x"), 1: answer(200, "x")})
	s, _ := newTestServer(t, table, py)
	for uri, want := range map[string]string{
		"/\\evil.example":     "/%5Cevil.example/",
		"/\\evil.example?q=1": "/%5Cevil.example/?q=1",
		"/page":               "/page/",
		"//evil.example":      "",
	} {
		ctx := newCtx("GET", uri)
		s.Handler()(ctx)
		r := send(t, ctx)
		loc := r.get("Location")
		if len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\') {
			t.Errorf("%s: Location %q leaves the site", uri, loc)
		}
		if want != "" && (r.status != 308 || loc != want) {
			t.Errorf("%s: %d Location %q, want 308 %q", uri, r.status, loc, want)
		}
	}
}
