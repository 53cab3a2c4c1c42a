package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/vmihailenco/msgpack/v5"

	"djangobolt/middleware"
)

const jwtSecret = "test-secret-for-hs256"

func signToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(jwtSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func corsEntry(origins ...string) middleware.MiddlewareConfig {
	return middleware.MiddlewareConfig{Type: "cors", Origins: origins, Credentials: true, ExposeHeaders: []string{"X-Total"}}
}

func securityTable() *Table {
	jwtAuth := []middleware.AuthBackendConfig{{Type: "jwt", Secret: jwtSecret}}
	return newTable(
		RouteSpec{Method: "GET", Path: "/me", HandlerID: 0, Name: "me", Security: &middleware.RouteConfig{
			AuthBackends: jwtAuth, Guards: []middleware.GuardConfig{{Type: "is_authenticated"}}}},
		RouteSpec{Method: "GET", Path: "/staff", HandlerID: 1, Name: "staff", Security: &middleware.RouteConfig{
			AuthBackends: jwtAuth, Guards: []middleware.GuardConfig{{Type: "is_staff"}}}},
		RouteSpec{Method: "POST", Path: "/keyed", HandlerID: 2, Name: "keyed", Security: &middleware.RouteConfig{
			AuthBackends: []middleware.AuthBackendConfig{{Type: "api_key", APIKeys: []string{"k-writer", "k-reader"},
				KeyPermissions: map[string][]string{"k-writer": {"items.write"}}}},
			Guards: []middleware.GuardConfig{{Type: "has_permission", Permission: "items.write"}}}},
		RouteSpec{Method: "GET", Path: "/limited", HandlerID: 3, Name: "limited", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{{Type: "rate_limit", RPS: 0.001, Burst: ptr(1)}}}},
		RouteSpec{Method: "GET", Path: "/cors", HandlerID: 4, Name: "cors get", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{corsEntry("https://app.example")}}},
		RouteSpec{Method: "POST", Path: "/cors", HandlerID: 5, Name: "cors post", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{corsEntry("https://post.example")}}},
		RouteSpec{Method: "GET", Path: "/plain", HandlerID: 6, Name: "plain"},
		RouteSpec{Method: "GET", Path: "/open", HandlerID: 7, Name: "open", Security: &middleware.RouteConfig{
			AuthBackends: jwtAuth, Guards: []middleware.GuardConfig{{Type: "allow_any"}}}},
	)
}

func allOK() map[int]func(seenRequest) pyReply {
	h := map[int]func(seenRequest) pyReply{}
	for id := range 8 {
		h[id] = answer(200, "ok", "content-type", "text/plain")
	}
	return h
}

func TestRejectedInGoNeverCallsPython(t *testing.T) {
	plainToken := signToken(t, jwt.MapClaims{"sub": "42"})
	tests := []struct {
		name    string
		method  string
		uri     string
		headers []string
		status  int
		body    string
		check   func(t *testing.T, r sentResponse)
	}{
		{name: "401 without a token", method: "GET", uri: "/me", status: 401, body: `{"detail":"Authentication required"}`},
		{name: "401 with a token signed by another key", method: "GET", uri: "/me", status: 401, body: `{"detail":"Authentication required"}`,
			headers: []string{"Authorization", "Bearer " + func() string {
				tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "42", "exp": time.Now().Add(time.Hour).Unix()}).
					SignedString([]byte("another-secret"))
				return tok
			}()}},
		{name: "401 with an expired token", method: "GET", uri: "/me", status: 401, body: `{"detail":"Authentication required"}`,
			headers: []string{"Authorization", "Bearer " + signToken(t, jwt.MapClaims{"sub": "42", "exp": time.Now().Add(-time.Hour).Unix()})}},
		{name: "403 by is_staff", method: "GET", uri: "/staff", status: 403, body: `{"detail":"Permission denied"}`,
			headers: []string{"Authorization", "Bearer " + plainToken}},
		{name: "403 by has_permission", method: "POST", uri: "/keyed", status: 403, body: `{"detail":"Permission denied"}`,
			headers: []string{"X-API-Key", "k-reader"}},
		{name: "401 with an unknown API key", method: "POST", uri: "/keyed", status: 401, body: `{"detail":"Authentication required"}`,
			headers: []string{"X-API-Key", "k-unknown"}},
		{name: "preflight allowed", method: "OPTIONS", uri: "/cors", status: 204,
			headers: []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"},
			check: func(t *testing.T, r sentResponse) {
				want := map[string]string{
					"Access-Control-Allow-Origin":      "https://app.example",
					"Access-Control-Allow-Credentials": "true",
					"Access-Control-Allow-Methods":     "GET, POST, PUT, PATCH, DELETE, OPTIONS",
					"Access-Control-Max-Age":           "3600",
				}
				for k, v := range want {
					if r.get(k) != v {
						t.Errorf("%s = %q, want %q", k, r.get(k), v)
					}
				}
				if !strings.Contains(r.get("Vary"), "Origin") {
					t.Errorf("Vary = %q", r.get("Vary"))
				}
			}},
		{name: "preflight of the requested method's route", method: "OPTIONS", uri: "/cors", status: 204,
			headers: []string{"Origin", "https://post.example", "Access-Control-Request-Method", "POST"},
			check: func(t *testing.T, r sentResponse) {
				if got := r.get("Access-Control-Allow-Origin"); got != "https://post.example" {
					t.Errorf("Access-Control-Allow-Origin = %q", got)
				}
			}},
		{name: "preflight from a disallowed origin", method: "OPTIONS", uri: "/cors", status: 403, body: "CORS origin not allowed",
			headers: []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "GET"},
			check: func(t *testing.T, r sentResponse) {
				if r.get("Access-Control-Allow-Origin") != "" {
					t.Errorf("disallowed origin got Access-Control-Allow-Origin %q", r.get("Access-Control-Allow-Origin"))
				}
			}},
		{name: "preflight with the other route's origin", method: "OPTIONS", uri: "/cors", status: 403, body: "CORS origin not allowed",
			headers: []string{"Origin", "https://post.example", "Access-Control-Request-Method", "GET"}},
		{name: "preflight for a route without CORS is plain OPTIONS", method: "OPTIONS", uri: "/plain", status: 200, body: "{}",
			headers: []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"},
			check: func(t *testing.T, r sentResponse) {
				if r.get("Allow") != "GET, HEAD, OPTIONS" || r.get("Access-Control-Allow-Origin") != "" {
					t.Errorf("Allow %q, Access-Control-Allow-Origin %q", r.get("Allow"), r.get("Access-Control-Allow-Origin"))
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			py := newFake(allOK())
			s, _ := newTestServer(t, securityTable(), py)
			ctx := newCtx(tc.method, tc.uri, tc.headers...)
			s.Handler()(ctx)
			r := send(t, ctx)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", r.status, tc.status, r.body)
			}
			if tc.body != "" && r.body != tc.body {
				t.Errorf("body %q, want %q", r.body, tc.body)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			if n := py.doCount(); n != 0 {
				t.Errorf("Python called %d times for a request rejected in Go", n)
			}
		})
	}
}

func TestRateLimitRejectsWithoutPython(t *testing.T) {
	py := newFake(allOK())
	s, _ := newTestServer(t, securityTable(), py)
	first := newCtx("GET", "/limited")
	s.Handler()(first)
	if r := send(t, first); r.status != 200 || py.doCount() != 1 {
		t.Fatalf("first request: %d, %d Python calls", r.status, py.doCount())
	}
	for range 3 {
		ctx := newCtx("GET", "/limited")
		s.Handler()(ctx)
		r := send(t, ctx)
		if r.status != 429 {
			t.Fatalf("status %d, want 429", r.status)
		}
		if r.get("Retry-After") == "" || r.get("X-RateLimit-Limit") != "0.001" || r.get("X-RateLimit-Burst") != "1" {
			t.Errorf("rate-limit headers:\n%s", r.raw)
		}
	}
	if n := py.doCount(); n != 1 {
		t.Errorf("Python called %d times, want only the first request", n)
	}
	// OPTIONS is never rate-limited.
	ctx := newCtx("OPTIONS", "/limited")
	s.Handler()(ctx)
	if r := send(t, ctx); r.status != 200 {
		t.Errorf("OPTIONS past the limit: %d", r.status)
	}
}

func TestAuthenticatedRequestCarriesContext(t *testing.T) {
	t.Run("jwt", func(t *testing.T) {
		py := newFake(allOK())
		s, _ := newTestServer(t, securityTable(), py)
		tok := signToken(t, jwt.MapClaims{"sub": "42", "is_staff": true, "org": 7, "permissions": []string{"read", "write"}})
		ctx := newCtx("GET", "/staff", "Authorization", "Bearer "+tok)
		s.Handler()(ctx)
		if r := send(t, ctx); r.status != 200 {
			t.Fatalf("status %d %q", r.status, r.body)
		}
		c := py.lastRequest(t).Context
		if c["user_id"] != "42" || c["auth_backend"] != "jwt" || c["is_staff"] != true || c["is_admin"] != false {
			t.Errorf("context %v", c)
		}
		if !reflect.DeepEqual(c["permissions"], []string{"read", "write"}) {
			t.Errorf("permissions %#v", c["permissions"])
		}
		claims, ok := c["auth_claims"].(map[string]any)
		if !ok {
			t.Fatalf("auth_claims %#v", c["auth_claims"])
		}
		if claims["sub"] != "42" || claims["org"] != json.Number("7") || claims["is_staff"] != true {
			t.Errorf("claims %#v (numbers must stay exact json.Number)", claims)
		}
	})
	t.Run("api key", func(t *testing.T) {
		py := newFake(allOK())
		s, _ := newTestServer(t, securityTable(), py)
		ctx := newCtx("POST", "/keyed", "X-API-Key", "ApiKey k-writer")
		s.Handler()(ctx)
		if r := send(t, ctx); r.status != 200 {
			t.Fatalf("status %d %q", r.status, r.body)
		}
		c := py.lastRequest(t).Context
		want := map[string]any{"user_id": "apikey:k-writer", "auth_backend": "api_key", "is_staff": false, "is_admin": false, "is_superuser": false,
			"permissions": []string{"items.write"}}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("context %#v, want %#v", c, want)
		}
	})
	t.Run("optional auth without credentials", func(t *testing.T) {
		py := newFake(allOK())
		s, _ := newTestServer(t, securityTable(), py)
		s.Handler()(newCtx("GET", "/open"))
		c := py.lastRequest(t).Context
		if c == nil || len(c) != 0 {
			t.Errorf("context %#v, want an empty map for a route with security", c)
		}
		tok := signToken(t, jwt.MapClaims{"sub": "7"})
		s.Handler()(newCtx("GET", "/open", "Authorization", "Bearer "+tok))
		if c := py.lastRequest(t).Context; c["user_id"] != "7" {
			t.Errorf("context %#v", c)
		}
	})
	t.Run("no security, no context", func(t *testing.T) {
		py := newFake(allOK())
		s, _ := newTestServer(t, securityTable(), py)
		s.Handler()(newCtx("GET", "/plain", "Authorization", "Bearer "+signToken(t, jwt.MapClaims{"sub": "7"})))
		if c := py.lastRequest(t).Context; c != nil {
			t.Errorf("context %#v", c)
		}
	})
}

func TestCORSOnActualRequests(t *testing.T) {
	py := newFake(allOK())
	s, _ := newTestServer(t, securityTable(), py)
	for _, tc := range []struct {
		origin, want string
	}{
		{"https://app.example", "https://app.example"},
		{"https://evil.example", ""},
		{"", ""},
	} {
		var hs []string
		if tc.origin != "" {
			hs = []string{"Origin", tc.origin}
		}
		ctx := newCtx("GET", "/cors", hs...)
		s.Handler()(ctx)
		r := send(t, ctx)
		if r.status != 200 || r.body != "ok" {
			t.Fatalf("origin %q: %d %q", tc.origin, r.status, r.body)
		}
		if got := r.get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("origin %q: Access-Control-Allow-Origin %q, want %q", tc.origin, got, tc.want)
		}
		if tc.want != "" && (r.get("Access-Control-Expose-Headers") != "X-Total" || r.get("Access-Control-Allow-Credentials") != "true") {
			t.Errorf("origin %q: CORS headers incomplete:\n%s", tc.origin, r.raw)
		}
	}
	if py.doCount() != 3 {
		t.Errorf("Python called %d times, want 3", py.doCount())
	}
}

func TestExplicitOptionsRouteKeepsItsParamsOnPreflight(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "OPTIONS", Path: "/things/{id}", HandlerID: 0, Needs: []string{"params"}},
		RouteSpec{Method: "GET", Path: "/things/{key}", HandlerID: 1, Needs: []string{"params"}},
	)
	for _, requested := range []string{"GET", "DELETE"} {
		py := newFake(map[int]func(seenRequest) pyReply{0: answer(204, ""), 1: answer(200, "")})
		s, _ := newTestServer(t, table, py)
		ctx := newCtx("OPTIONS", "/things/5", "Origin", "https://app.example", "Access-Control-Request-Method", requested)
		s.Handler()(ctx)
		got := py.lastRequest(t)
		if got.Handler != 0 || !reflect.DeepEqual(got.Params, []string{"id", "5"}) {
			t.Errorf("requested %s: handler %d got params %q, want [id 5]", requested, got.Handler, got.Params)
		}
	}
}

func TestTestAppHTTPLayer(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/items", HandlerID: 0, Name: "items", Security: &middleware.RouteConfig{
			Middleware: []middleware.MiddlewareConfig{
				corsEntry("https://app.example"),
				{Type: "rate_limit", RPS: 0.001, Burst: ptr(1)},
			}}},
		RouteSpec{Method: "GET", Path: "/private", HandlerID: 1, Name: "private", Security: &middleware.RouteConfig{
			AuthBackends: []middleware.AuthBackendConfig{{Type: "api_key", APIKeys: []string{"k1"}}},
			Guards:       []middleware.GuardConfig{{Type: "is_authenticated"}},
			Middleware:   []middleware.MiddlewareConfig{corsEntry("https://app.example")}}},
	)
	table.Global.Compression = &middleware.CompressionConfig{Backend: "gzip", MinimumSize: 16, GzipCompressLevel: 6,
		BrotliQuality: 4, BrotliLgwin: 22, ZstdLevel: 3, GzipFallback: true}
	doc, err := msgpack.Marshal(table)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat(`{"name":"compressible"},`, 50)

	for _, httpLayer := range []bool{false, true} {
		name := "without http layer"
		if httpLayer {
			name = "with http layer"
		}
		t.Run(name, func(t *testing.T) {
			py := newFake(map[int]func(seenRequest) pyReply{
				0: answer(200, big, "content-type", "application/json"),
				1: answer(200, "secret", "content-type", "text/plain"),
			})
			app, err := NewTestApp(doc, py, httpLayer)
			if err != nil {
				t.Fatal(err)
			}
			h := app.handler
			run := func(method, uri string, headers ...string) sentResponse {
				ctx := newCtx(method, uri, headers...)
				h(ctx)
				return send(t, ctx)
			}

			pre := run("OPTIONS", "/items", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
			var statuses []int
			for range 3 {
				r := run("GET", "/items", "Origin", "https://app.example", "Accept-Encoding", "gzip")
				statuses = append(statuses, r.status)
				if r.status != 200 {
					continue
				}
				acao, enc := r.get("Access-Control-Allow-Origin"), r.get("Content-Encoding")
				if httpLayer && (acao != "https://app.example" || enc != "gzip") {
					t.Errorf("with the http layer: Access-Control-Allow-Origin %q, Content-Encoding %q", acao, enc)
				}
				if !httpLayer && (acao != "" || enc != "" || r.body != big) {
					t.Errorf("without the http layer: Access-Control-Allow-Origin %q, Content-Encoding %q", acao, enc)
				}
			}
			denied := run("GET", "/private")

			if httpLayer {
				if pre.status != 204 || pre.get("Access-Control-Allow-Origin") != "https://app.example" {
					t.Errorf("preflight %d:\n%s", pre.status, pre.raw)
				}
				if !reflect.DeepEqual(statuses, []int{200, 429, 429}) {
					t.Errorf("statuses %v, want [200 429 429]", statuses)
				}
			} else {
				if pre.status != 200 || pre.body != "{}" || pre.get("Access-Control-Allow-Origin") != "" {
					t.Errorf("preflight answered by CORS without the http layer: %d %q", pre.status, pre.body)
				}
				if !reflect.DeepEqual(statuses, []int{200, 200, 200}) {
					t.Errorf("statuses %v, want [200 200 200]: no rate limit without the http layer", statuses)
				}
			}
			// Authentication and guards belong to the route, not the http layer.
			if denied.status != 401 {
				t.Errorf("/private without a key: %d, want 401", denied.status)
			}
			if ok := run("GET", "/private", "X-API-Key", "k1"); ok.status != 200 || ok.body != "secret" {
				t.Errorf("/private with a key: %d %q", ok.status, ok.body)
			}
		})
	}
}

func TestDecodeTable(t *testing.T) {
	original := &Table{
		Routes: []RouteSpec{
			{Method: "GET", Path: "/users/{id}", HandlerID: 0, Needs: []string{"params", "query"}, Name: "app.users"},
			{Method: "POST", Path: "/users", HandlerID: 1, Needs: []string{"body", "headers"}, Name: "app.create",
				Security: &middleware.RouteConfig{
					Route:        "POST /users",
					AuthBackends: []middleware.AuthBackendConfig{{Type: "jwt", Secret: "s", Audience: middleware.StringList{"api"}}},
					Guards:       []middleware.GuardConfig{{Type: "has_any_permission", Permissions: []string{"a", "b"}}},
					Middleware:   []middleware.MiddlewareConfig{{Type: "rate_limit", RPS: 5, Burst: ptr(10), Key: "user"}},
					Skip:         []string{"compression"},
				}},
		},
		Global: middleware.GlobalConfig{CORSAllowedOrigins: []string{"https://a.example"}, TrustedProxies: []string{"10.0.0.0/8"}},
		Settings: Settings{Debug: true, MaxUploadSize: 4096, MaxHeaderSize: 1024, MaxHeaderBytes: 8192, MaxHeaderCount: 50,
			ReadTimeout: 2.5, WriteTimeout: 3, KeepAlive: 0, MaxConnections: 10, MaxPending: 7, ShutdownTimeout: 1,
			Backlog: 64, AccessLog: "json", AccessLogSample: 0.5, AccessLogSlowMS: 20, RequestID: true, Metrics: true,
			MetricsPath: "/metrics"},
	}
	doc, err := msgpack.Marshal(original)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, original) {
		t.Errorf("round trip changed the table:\n got %+v\nwant %+v", got, original)
	}
	// The decoded table builds a working server.
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "user")})
	s, _ := newTestServer(t, got, py)
	ctx := newCtx("GET", "/users/3?full=1")
	s.Handler()(ctx)
	if r := send(t, ctx); r.status != 200 || r.body != "user" {
		t.Errorf("decoded table serves %d %q", r.status, r.body)
	}

	// Python writes plain maps with snake_case keys.
	fromPython, err := msgpack.Marshal(map[string]any{
		"routes":   []any{map[string]any{"method": "GET", "path": "/", "handler_id": 0, "needs": []string{}, "security": nil, "name": "root"}},
		"global":   map[string]any{},
		"settings": pySettings(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	tab, err := DecodeTable(fromPython)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Routes) != 1 || tab.Routes[0].Name != "root" || tab.Routes[0].Security != nil || tab.Settings.MaxHeaderSize != 20 {
		t.Errorf("decoded %+v", tab)
	}

	for name, doc := range map[string][]byte{
		"garbage":            {0xc1, 0x00},
		"missing settings":   mustMarshal(t, map[string]any{"routes": []any{}}),
		"zero upload size":   mustMarshal(t, map[string]any{"settings": pySettings(map[string]any{"max_upload_size": 0})}),
		"zero header count":  mustMarshal(t, map[string]any{"settings": pySettings(map[string]any{"max_header_count": 0})}),
		"no read timeout":    mustMarshal(t, map[string]any{"settings": pySettings(map[string]any{"read_timeout": 0})}),
		"unknown access log": mustMarshal(t, map[string]any{"settings": pySettings(map[string]any{"access_log": "xml"})}),
	} {
		if _, err := DecodeTable(doc); err == nil || !strings.HasPrefix(err.Error(), "route table from Python") {
			t.Errorf("%s: error %v", name, err)
		}
	}

	// A key Go does not know is an error naming it, at every level: never a rule or
	// setting silently dropped.
	for name, doc := range map[string][]byte{
		"route":    mustMarshal(t, map[string]any{"routes": []any{map[string]any{"path": "/", "extra_key": 1}}, "settings": pySettings(nil)}),
		"settings": mustMarshal(t, map[string]any{"settings": pySettings(map[string]any{"extra_key": 1})}),
		"security": mustMarshal(t, map[string]any{"routes": []any{map[string]any{"path": "/", "security": map[string]any{"guards": []any{map[string]any{"type": "is_staff", "extra_key": true}}}}}, "settings": pySettings(nil)}),
		"global":   mustMarshal(t, map[string]any{"global": map[string]any{"extra_key": 1}, "settings": pySettings(nil)}),
	} {
		if _, err := DecodeTable(doc); err == nil || !strings.Contains(err.Error(), `"extra_key"`) {
			t.Errorf("unknown key in %s: error %v, want one naming extra_key", name, err)
		}
	}
}

// pySettings is a settings map as Python sends it, with some keys replaced.
func pySettings(with map[string]any) map[string]any {
	m := map[string]any{
		"debug": false, "max_upload_size": 10, "max_header_size": 20, "max_header_bytes": 4096,
		"max_header_count": 100, "read_timeout": 30.0, "write_timeout": 30.0, "keep_alive": 75.0,
		"max_connections": 10000, "max_pending": 0, "shutdown_timeout": 30.0, "backlog": 1024,
		"access_log": "off", "access_log_sample": 1.0, "access_log_slow_ms": 0, "request_id": false,
		"metrics": false, "metrics_path": "/metrics",
	}
	for k, v := range with {
		m[k] = v
	}
	return m
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadSheddingAnswersInGo(t *testing.T) {
	table := newTable(RouteSpec{Method: "GET", Path: "/slow", HandlerID: 0, Security: &middleware.RouteConfig{
		Middleware: []middleware.MiddlewareConfig{corsEntry("https://app.example")}}})
	table.Settings.MaxPending = 1
	entered, release := make(chan struct{}), make(chan struct{})
	py := newFake(map[int]func(seenRequest) pyReply{0: func(seenRequest) pyReply {
		entered <- struct{}{}
		<-release
		return pyReply{status: 200, body: "done"}
	}})
	s, _ := newTestServer(t, table, py)

	first := newCtx("GET", "/slow")
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s.Handler()(first)
	}()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first request never reached Python")
	}

	busy := newCtx("GET", "/slow", "Origin", "https://app.example")
	s.Handler()(busy)
	r := send(t, busy)
	if r.status != 503 || r.body != `{"detail":"Server busy, retry shortly"}` || r.get("Retry-After") == "" {
		t.Errorf("while Python is busy: %d %q\n%s", r.status, r.body, r.raw)
	}
	if r.get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("the 503 lacks CORS headers:\n%s", r.raw)
	}
	if n := py.doCount(); n != 1 {
		t.Errorf("Python called %d times, want 1", n)
	}

	close(release)
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("the first request did not finish")
	}
	if r := send(t, first); r.status != 200 || r.body != "done" {
		t.Errorf("first request: %d %q", r.status, r.body)
	}
	go func() { <-entered }()
	again := newCtx("GET", "/slow")
	s.Handler()(again)
	if r := send(t, again); r.status != 200 {
		t.Errorf("after the queue drained: %d", r.status)
	}
}

func TestRequestIDReachesPythonContext(t *testing.T) {
	table := newTable(
		RouteSpec{Method: "GET", Path: "/plain", HandlerID: 0},
		RouteSpec{Method: "GET", Path: "/me", HandlerID: 1, Security: &middleware.RouteConfig{
			AuthBackends: []middleware.AuthBackendConfig{{Type: "jwt", Secret: jwtSecret}}}},
	)
	table.Settings.RequestID = true
	py := newFake(map[int]func(seenRequest) pyReply{0: answer(200, "ok"), 1: answer(200, "ok")})
	s, _ := newTestServer(t, table, py)

	ctx := newCtx("GET", "/plain", "X-Request-ID", "client-chosen-id")
	s.Handler()(ctx)
	if c := py.lastRequest(t).Context; c["request_id"] != "client-chosen-id" || len(c) != 1 {
		t.Errorf("context %#v", c)
	}
	if got := send(t, ctx).get("X-Request-ID"); got != "client-chosen-id" {
		t.Errorf("response X-Request-ID %q", got)
	}

	ctx = newCtx("GET", "/me", "X-Request-ID", "bad id with spaces", "Authorization", "Bearer "+signToken(t, jwt.MapClaims{"sub": "9"}))
	s.Handler()(ctx)
	c := py.lastRequest(t).Context
	id, _ := c["request_id"].(string)
	if len(id) != 16 || c["user_id"] != "9" {
		t.Errorf("context %#v: want a fresh 16-hex-digit id next to the auth context", c)
	}
	if got := send(t, ctx).get("X-Request-ID"); got != id {
		t.Errorf("response X-Request-ID %q, Python saw %q", got, id)
	}
}
