package middleware

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func corsPipeline(t *testing.T, global []string, entries ...MiddlewareConfig) *Pipeline {
	t.Helper()
	s := mustShared(t, GlobalConfig{CORSAllowedOrigins: global})
	for i := range entries {
		entries[i].Type = "cors"
	}
	return mustPipeline(t, s, RouteConfig{Route: "GET /c", Middleware: entries})
}

func preflight(origin string) *fasthttp.RequestCtx {
	return newCtx("OPTIONS", "192.0.2.1:1", "Origin", origin, "Access-Control-Request-Method", "POST")
}

func TestIsPreflight(t *testing.T) {
	cases := []struct {
		ctx  *fasthttp.RequestCtx
		want bool
	}{
		{preflight("https://a.example"), true},
		{newCtx("OPTIONS", "192.0.2.1:1", "Origin", "https://a.example"), false},
		{newCtx("OPTIONS", "192.0.2.1:1", "Access-Control-Request-Method", "GET"), false},
		{newCtx("POST", "192.0.2.1:1", "Origin", "https://a.example", "Access-Control-Request-Method", "GET"), false},
	}
	for i, tc := range cases {
		if got := IsPreflight(tc.ctx); got != tc.want {
			t.Errorf("case %d: IsPreflight = %v", i, got)
		}
	}
}

func TestPreflight(t *testing.T) {
	full := MiddlewareConfig{
		Origins: []string{"https://a.example"}, Methods: []string{"GET", "POST"}, Headers: []string{"X-One", "X-Two"},
		Credentials: true, MaxAge: intp(60),
	}
	cases := []struct {
		name    string
		p       *Pipeline
		origin  string
		status  int
		headers map[string]string // "" value means absent
		body    string
	}{
		{"allowed", corsPipeline(t, nil, full), "https://a.example", 204, map[string]string{
			"Access-Control-Allow-Origin":      "https://a.example",
			"Access-Control-Allow-Methods":     "GET, POST",
			"Access-Control-Allow-Headers":     "X-One, X-Two",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age":           "60",
			"Vary":                             "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
		}, ""},
		{"defaults", corsPipeline(t, []string{"https://g.example"}, MiddlewareConfig{}), "https://g.example", 204, map[string]string{
			"Access-Control-Allow-Origin":      "https://g.example",
			"Access-Control-Allow-Methods":     "GET, POST, PUT, PATCH, DELETE, OPTIONS",
			"Access-Control-Allow-Headers":     "Content-Type, Authorization",
			"Access-Control-Allow-Credentials": "",
			"Access-Control-Max-Age":           "3600",
		}, ""},
		{"max_age 0 is kept", corsPipeline(t, []string{"https://g.example"}, MiddlewareConfig{MaxAge: intp(0)}), "https://g.example", 204,
			map[string]string{"Access-Control-Max-Age": "0"}, ""},
		{"wildcard", corsPipeline(t, nil, MiddlewareConfig{Origins: []string{"*"}}), "https://any.example", 204, map[string]string{
			"Access-Control-Allow-Origin": "*", "Vary": "",
		}, ""},
		{"origin not allowed", corsPipeline(t, nil, full), "https://evil.example", 403, map[string]string{
			"Access-Control-Allow-Origin": "", "Content-Type": "text/plain; charset=utf-8",
		}, "CORS origin not allowed"},
		{"not configured", corsPipeline(t, nil, MiddlewareConfig{}), "https://a.example", 403, nil, "CORS not configured for this endpoint"},
		{"last entry wins", corsPipeline(t, nil, MiddlewareConfig{Origins: []string{"https://old.example"}}, MiddlewareConfig{Origins: []string{"https://new.example"}}),
			"https://old.example", 403, nil, "CORS origin not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := preflight(tc.origin)
			if !tc.p.Preflight(ctx) {
				t.Fatal("Preflight returned false for a route with CORS")
			}
			if ctx.Response.StatusCode() != tc.status || string(ctx.Response.Body()) != tc.body {
				t.Fatalf("status %d body %q", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			for k, v := range tc.headers {
				if got := respHeader(ctx, k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestPreflightWithoutCORS(t *testing.T) {
	s := mustShared(t, GlobalConfig{CORSAllowedOrigins: []string{"https://a.example"}})
	for _, rc := range []RouteConfig{
		{},
		{Middleware: []MiddlewareConfig{{Type: "cors"}}, Skip: []string{"cors"}},
	} {
		ctx := preflight("https://a.example")
		if mustPipeline(t, s, rc).Preflight(ctx) || ctx.Response.Header.Peek("Access-Control-Allow-Origin") != nil {
			t.Errorf("%+v: answered a preflight without CORS", rc)
		}
	}
	var nilPipeline *Pipeline
	if nilPipeline.Preflight(preflight("https://a.example")) {
		t.Error("nil pipeline answered a preflight")
	}
}

func TestCORSActualResponse(t *testing.T) {
	listed := MiddlewareConfig{Origins: []string{"https://a.example"}, Credentials: true, ExposeHeaders: []string{"X-Total", "X-Page"}}
	cases := []struct {
		name     string
		p        *Pipeline
		origin   string
		vary     string // Vary set by the handler
		headers  map[string]string
		noCORSAt bool
	}{
		{"listed origin echoed", corsPipeline(t, nil, listed), "https://a.example", "", map[string]string{
			"Access-Control-Allow-Origin":      "https://a.example",
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers":    "X-Total, X-Page",
			"Vary":                             "Origin",
		}, false},
		{"Vary appended", corsPipeline(t, nil, listed), "https://a.example", "Accept-Language", map[string]string{"Vary": "Accept-Language, Origin"}, false},
		{"Vary not repeated", corsPipeline(t, nil, listed), "https://a.example", "origin", map[string]string{"Vary": "origin"}, false},
		{"origin not listed", corsPipeline(t, nil, listed), "https://evil.example", "", nil, true},
		{"no origin", corsPipeline(t, nil, listed), "", "", nil, true},
		{"wildcard", corsPipeline(t, nil, MiddlewareConfig{Origins: []string{"*"}}), "", "", map[string]string{
			"Access-Control-Allow-Origin": "*", "Vary": "", "Access-Control-Allow-Credentials": "",
		}, false},
		{"configured origin case-folded", corsPipeline(t, nil, MiddlewareConfig{Origins: []string{"https://A.example"}}), "https://a.example", "",
			map[string]string{"Access-Control-Allow-Origin": "https://a.example"}, false},
	}
	for _, tc := range cases {
		// Finish adds the same headers whatever the body is.
		for _, body := range []string{"buffered", "streamed"} {
			t.Run(tc.name+"/"+body, func(t *testing.T) {
				ctx := get()
				if tc.origin != "" {
					ctx.Request.Header.Set("Origin", tc.origin)
				}
				if tc.vary != "" {
					ctx.Response.Header.Set("Vary", tc.vary)
				}
				ctx.SetStatusCode(404)
				if body == "streamed" {
					ctx.SetBodyStream(strings.NewReader("chunk"), -1)
				}
				tc.p.Finish(ctx)
				if tc.noCORSAt {
					for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
						if v := respHeader(ctx, h); v != "" {
							t.Errorf("%s = %q for a foreign origin", h, v)
						}
					}
				}
				for k, v := range tc.headers {
					if got := respHeader(ctx, k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
			})
		}
	}
}

func TestCORSConfigErrors(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	for _, tc := range []struct {
		m    MiddlewareConfig
		want string
	}{
		{MiddlewareConfig{Origins: []string{"*"}, Credentials: true}, "Cannot use wildcard '*' with credentials=true: list the allowed origins"},
		{MiddlewareConfig{Origins: []string{"https://a.example/"}}, "no path or trailing slash"},
		{MiddlewareConfig{Origins: []string{"a.example"}}, "write scheme://host[:port]"},
		{MiddlewareConfig{MaxAge: intp(-1)}, "max_age -1 is negative"},
		{MiddlewareConfig{Methods: []string{"GET, POST"}}, "not a single HTTP method"},
		{MiddlewareConfig{RPS: 3}, "rate_limit options"},
	} {
		tc.m.Type = "cors"
		_, err := NewPipeline(RouteConfig{Route: "GET /c", Middleware: []MiddlewareConfig{tc.m}}, s)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "route GET /c: middleware[0]") {
			t.Errorf("%+v: err = %v, want %q", tc.m, err, tc.want)
		}
	}
	if _, err := NewShared(GlobalConfig{CORSAllowedOrigins: []string{"https://x.example/path"}}, quiet); err == nil {
		t.Error("bad global origin accepted")
	}
}
