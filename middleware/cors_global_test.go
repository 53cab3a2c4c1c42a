package middleware

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func projectCORS(t *testing.T, c MiddlewareConfig) *Shared {
	t.Helper()
	c.Type = "cors"
	return mustShared(t, GlobalConfig{CORS: &c})
}

func TestProjectCORSAppliesToRoutesWithoutTheirOwn(t *testing.T) {
	s := projectCORS(t, MiddlewareConfig{Origins: []string{"https://app.example"}, ExposeHeaders: []string{"X-Total"}})
	plain := mustPipeline(t, s, RouteConfig{Route: "GET /plain"})
	ctx := get("Origin", "https://app.example")
	plain.Finish(ctx)
	if got := respHeader(ctx, "Access-Control-Allow-Origin"); got != "https://app.example" {
		t.Fatalf("allow-origin = %q", got)
	}
	if got := respHeader(ctx, "Access-Control-Expose-Headers"); got != "X-Total" {
		t.Fatalf("expose = %q", got)
	}

	// A route's own entry wins over the project-wide policy.
	own := mustPipeline(t, s, RouteConfig{Route: "GET /own", Middleware: []MiddlewareConfig{{Type: "cors", Origins: []string{"https://other.example"}}}})
	ctx = get("Origin", "https://app.example")
	own.Finish(ctx)
	if got := respHeader(ctx, "Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("route policy should refuse the project origin, got %q", got)
	}

	// Skipping cors skips the project-wide policy too.
	skipped := mustPipeline(t, s, RouteConfig{Route: "GET /skip", Skip: []string{"cors"}})
	ctx = get("Origin", "https://app.example")
	skipped.Finish(ctx)
	if got := respHeader(ctx, "Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("skipped route got %q", got)
	}
}

func TestProjectCORSRegexesMatchFromTheStart(t *testing.T) {
	s := projectCORS(t, MiddlewareConfig{OriginRegexes: []string{`https://\w+\.example\.com`}})
	p := mustPipeline(t, s, RouteConfig{Route: "GET /r"})
	for origin, want := range map[string]bool{
		"https://a.example.com":        true,
		"https://b.example.com":        true,
		"http://a.example.com":         false,
		"https://evil.com/https://a.e": false,
	} {
		ctx := get("Origin", origin)
		p.Finish(ctx)
		if got := respHeader(ctx, "Access-Control-Allow-Origin") == origin; got != want {
			t.Errorf("%s: allowed = %v, want %v", origin, got, want)
		}
	}
	// @cors() without origins takes the project's regexes.
	route := mustPipeline(t, s, RouteConfig{Route: "GET /c", Middleware: []MiddlewareConfig{{Type: "cors"}}})
	ctx := preflight("https://a.example.com")
	if !route.Preflight(ctx) || ctx.Response.StatusCode() != fasthttp.StatusNoContent {
		t.Fatalf("preflight status %d", ctx.Response.StatusCode())
	}
}

func TestDefaultPipelineIsTheProjectPolicy(t *testing.T) {
	none := mustShared(t, GlobalConfig{}).Default()
	ctx := preflight("https://app.example")
	if none.Preflight(ctx) {
		t.Fatal("no project policy must leave the preflight to the router")
	}
	none.Finish(ctx)
	if respHeader(ctx, "Access-Control-Allow-Origin") != "" {
		t.Fatal("no project policy must add nothing")
	}

	s := projectCORS(t, MiddlewareConfig{Origins: []string{"https://app.example"}, MaxAge: intp(120)}).Default()
	ctx = preflight("https://app.example")
	if !s.Preflight(ctx) {
		t.Fatal("project policy must answer")
	}
	if ctx.Response.StatusCode() != fasthttp.StatusNoContent || respHeader(ctx, "Access-Control-Max-Age") != "120" {
		t.Fatalf("status %d max-age %q", ctx.Response.StatusCode(), respHeader(ctx, "Access-Control-Max-Age"))
	}
	ctx = get("Origin", "https://app.example")
	ctx.Response.SetStatusCode(fasthttp.StatusNotFound)
	s.Finish(ctx)
	if respHeader(ctx, "Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatal("404 without CORS headers")
	}
}

func TestProjectCORSErrors(t *testing.T) {
	for name, c := range map[string]MiddlewareConfig{
		"bad regex":            {OriginRegexes: []string{"(unclosed"}},
		"bad origin":           {Origins: []string{"https://a.example/path"}},
		"wildcard+credentials": {Origins: []string{"*"}, Credentials: true},
	} {
		c.Type = "cors"
		if _, err := NewShared(GlobalConfig{CORS: &c}, quiet); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestProjectCORSDrivesWebSocketOrigins(t *testing.T) {
	s := projectCORS(t, MiddlewareConfig{Origins: []string{"https://app.example"}, OriginRegexes: []string{`https://\w+\.example\.com`}})
	s.corsOrigins = []string{"https://app.example"} // as Python sends them beside the policy
	for origin, want := range map[string]bool{
		"https://app.example":      true,
		"https://shop.example.com": true,
		"https://evil.example":     false,
	} {
		if got := s.WebSocketOriginAllowed([]byte(origin)); got != want {
			t.Errorf("%s: %v, want %v", origin, got, want)
		}
	}
}
