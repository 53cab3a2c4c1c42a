package middleware

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestEmptyAndNilPipelines(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	var nilPipeline *Pipeline
	for name, p := range map[string]*Pipeline{
		"nil":       nilPipeline,
		"empty":     mustPipeline(t, s, RouteConfig{}),
		"allow_any": mustPipeline(t, s, RouteConfig{Guards: []GuardConfig{{Type: "allow_any"}}}),
	} {
		ctx := get("Origin", "https://a.example")
		ctx.SetBodyString("ok")
		if a, handled := p.Before(ctx); a != nil || handled {
			t.Errorf("%s: Before = %v, %v", name, a, handled)
		}
		p.Finish(ctx)
		if string(ctx.Response.Body()) != "ok" || respHeader(ctx, "Access-Control-Allow-Origin") != "" || respHeader(ctx, "Vary") != "" {
			t.Errorf("%s: response changed: %s", name, ctx.Response.String())
		}
	}
}

func TestBeforeAllowAnyAllocatesNothing(t *testing.T) {
	p := mustPipeline(t, mustShared(t, GlobalConfig{}), RouteConfig{Guards: []GuardConfig{{Type: "allow_any"}}})
	ctx := get()
	if n := testing.AllocsPerRun(100, func() { p.Before(ctx) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestRejectionResponses(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	rc := RouteConfig{
		Middleware:   []MiddlewareConfig{{Type: "cors", Origins: []string{"https://a.example"}, Credentials: true}},
		AuthBackends: []AuthBackendConfig{{Type: "jwt", Secret: hmacSecret}},
		Guards:       []GuardConfig{{Type: "is_authenticated"}, {Type: "is_staff"}},
	}
	p := mustPipeline(t, s, rc)
	cases := []struct {
		name   string
		token  string
		status int
		body   string
	}{
		{"no credentials", "", 401, `{"detail":"Authentication required"}`},
		{"bad token", "garbage", 401, `{"detail":"Authentication required"}`},
		{"not staff", mint(t, "HS256", validClaims(nil)), 403, `{"detail":"Permission denied"}`},
		{"staff", mint(t, "HS256", validClaims(jwt.MapClaims{"is_staff": true})), 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := get("Origin", "https://a.example", "Authorization", "Bearer "+tc.token)
			a, handled := p.Before(ctx)
			if tc.status == 0 {
				if handled || a == nil || !a.IsStaff {
					t.Fatalf("handled=%v auth=%+v", handled, a)
				}
				return
			}
			if !handled || a != nil {
				t.Fatalf("handled=%v auth=%+v", handled, a)
			}
			if ctx.Response.StatusCode() != tc.status || string(ctx.Response.Body()) != tc.body ||
				string(ctx.Response.Header.ContentType()) != "application/json" {
				t.Fatalf("got %d %q %q", ctx.Response.StatusCode(), ctx.Response.Header.ContentType(), ctx.Response.Body())
			}
			if respHeader(ctx, "WWW-Authenticate") != "" {
				t.Error("WWW-Authenticate set")
			}
			p.Finish(ctx) // the exit every rejection leaves through
			if respHeader(ctx, "Access-Control-Allow-Origin") != "https://a.example" || respHeader(ctx, "Access-Control-Allow-Credentials") != "true" {
				t.Errorf("rejection lacks CORS headers: %s", ctx.Response.Header.String())
			}
		})
	}
}

func TestSkip(t *testing.T) {
	s := mustShared(t, GlobalConfig{CORSAllowedOrigins: []string{"https://a.example"}})
	p := mustPipeline(t, s, RouteConfig{
		Middleware:   []MiddlewareConfig{{Type: "cors"}, {Type: "rate_limit", RPS: 1, Burst: intp(1)}},
		AuthBackends: []AuthBackendConfig{{Type: "api_key", APIKeys: []string{"k"}}},
		Guards:       []GuardConfig{{Type: "is_authenticated"}},
		Skip:         []string{"auth", "rate_limit", "cors"},
	})
	for range 3 {
		ctx := get("Origin", "https://a.example")
		if a, handled := p.Before(ctx); handled || a != nil {
			t.Fatalf("skipped middleware still ran: %d", ctx.Response.StatusCode())
		}
		p.Finish(ctx)
		if respHeader(ctx, "Access-Control-Allow-Origin") != "" {
			t.Fatal("skipped CORS still applied")
		}
	}
}

func TestPipelineConfigErrors(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	for _, tc := range []struct {
		rc   RouteConfig
		want string
	}{
		{RouteConfig{Route: "GET /a", Middleware: []MiddlewareConfig{{Type: "cors"}, {Type: "ratelimit"}}},
			`route GET /a: middleware[1]: unknown middleware type "ratelimit"; use "cors" or "rate_limit"`},
		{RouteConfig{Route: "GET /a", Skip: []string{"cors", "corss"}}, `route GET /a: skip[1]: unknown middleware "corss"`},
		{RouteConfig{Route: "GET /a", AuthBackends: []AuthBackendConfig{{Type: "session"}}}, `route GET /a: auth_backends[0]: unknown auth backend type "session"; use "jwt" or "api_key"`},
		{RouteConfig{Route: "GET /a", Guards: []GuardConfig{{Type: "is_superuser"}}}, `route GET /a: guards[0]: unknown guard type "is_superuser"`},
		{RouteConfig{Middleware: []MiddlewareConfig{{Type: "gzip"}}}, `route (unnamed route): middleware[0]`},
		// An entry overridden by a later one or by skip is still checked.
		{RouteConfig{Route: "GET /a", Middleware: []MiddlewareConfig{{Type: "rate_limit"}}, Skip: []string{"rate_limit"}}, "rps 0 must be"},
	} {
		if _, err := NewPipeline(tc.rc, s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	if _, err := NewPipeline(RouteConfig{}, nil); err == nil {
		t.Error("nil Shared accepted")
	}
}

func TestPreflight204HasNoBodyHeaders(t *testing.T) {
	p := mustPipeline(t, mustShared(t, GlobalConfig{}), RouteConfig{Middleware: []MiddlewareConfig{{Type: "cors", Origins: []string{"https://a.example"}}}})
	ctx := preflight("https://a.example")
	p.Preflight(ctx)
	wire := ctx.Response.String()
	if !strings.HasPrefix(wire, "HTTP/1.1 204") || strings.Contains(wire, "\nContent-Type:") || strings.Contains(wire, "\nContent-Length:") {
		t.Fatalf("preflight response:\n%s", wire)
	}
}

func BenchmarkBeforeAllowAny(b *testing.B) {
	p := mustPipeline(b, mustShared(b, GlobalConfig{}), RouteConfig{Guards: []GuardConfig{{Type: "allow_any"}}})
	ctx := get()
	b.ReportAllocs()
	for b.Loop() {
		p.Before(ctx)
	}
}

func BenchmarkBeforeJWTHS256(b *testing.B) {
	p := mustPipeline(b, mustShared(b, GlobalConfig{}), RouteConfig{
		AuthBackends: []AuthBackendConfig{{Type: "jwt", Secret: hmacSecret}},
		Guards:       []GuardConfig{{Type: "is_authenticated"}},
	})
	ctx := get("Authorization", "Bearer "+mint(b, "HS256", validClaims(jwt.MapClaims{"permissions": []string{"a"}})))
	b.ReportAllocs()
	for b.Loop() {
		if _, handled := p.Before(ctx); handled {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkBeforeAPIKey(b *testing.B) {
	p := mustPipeline(b, mustShared(b, GlobalConfig{}), RouteConfig{
		AuthBackends: []AuthBackendConfig{{Type: "api_key", APIKeys: []string{"key-1", "key-2", "key-3"}}},
		Guards:       []GuardConfig{{Type: "is_authenticated"}},
	})
	ctx := get("X-API-Key", "key-3")
	b.ReportAllocs()
	for b.Loop() {
		if _, handled := p.Before(ctx); handled {
			b.Fatal("rejected")
		}
	}
}

func BenchmarkBeforeRateLimitIP(b *testing.B) {
	s := mustShared(b, GlobalConfig{})
	// Each call advances the clock by one token so every request passes.
	now := int64(0)
	s.local.clock = func() int64 { now += 1000; return now }
	p := mustPipeline(b, s, RouteConfig{
		Middleware: []MiddlewareConfig{{Type: "rate_limit", RPS: 1e6, Burst: intp(10)}},
	})
	ctx := get()
	b.ReportAllocs()
	for b.Loop() {
		if _, handled := p.Before(ctx); handled {
			b.Fatal("limited")
		}
	}
}
