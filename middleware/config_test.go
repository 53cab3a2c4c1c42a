package middleware

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func pack(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRouteConfig(t *testing.T) {
	rc, err := decodeRouteConfig(pack(t, map[string]any{
		"route": "GET /items",
		"middleware": []any{
			map[string]any{"type": "cors", "origins": []string{"https://a.example"}, "credentials": true, "max_age": 0},
			map[string]any{"type": "rate_limit", "rps": 2.5, "key": "user"},
		},
		"skip": []string{"compression"},
		"auth_backends": []any{
			map[string]any{"type": "jwt", "secret": "s", "algorithms": []string{"HS256"}, "header": "authorization",
				"audience": nil, "issuer": nil, "require_jti": true, "has_revocation": false},
			map[string]any{"type": "jwt", "secret": "s", "audience": "api"},
			map[string]any{"type": "jwt", "secret": "s", "audience": []string{"a", "b"}},
			map[string]any{"type": "api_key", "api_keys": []string{"k"}, "header": "x-api-key", "key_permissions": map[string][]string{"k": {"p"}}},
		},
		"guards": []any{map[string]any{"type": "has_permission", "permission": "p"}, map[string]any{"type": "has_any_permission", "permissions": []string{"a"}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Route != "GET /items" || rc.Middleware[0].MaxAge == nil || *rc.Middleware[0].MaxAge != 0 || !rc.Middleware[0].Credentials {
		t.Errorf("cors entry: %+v", rc.Middleware[0])
	}
	if m := rc.Middleware[1]; m.RPS != 2.5 || m.Burst != nil || m.Key != "user" || m.MaxAge != nil {
		t.Errorf("rate_limit entry: %+v", m)
	}
	auds := []StringList{nil, {"api"}, {"a", "b"}}
	for i, want := range auds {
		if got := rc.AuthBackends[i].Audience; !reflect.DeepEqual(got, want) {
			t.Errorf("audience %d = %#v, want %#v", i, got, want)
		}
	}
	if b := rc.AuthBackends[0]; b.Issuer != "" || !b.RequireJTI {
		t.Errorf("jwt entry: %+v", b)
	}
	if b := rc.AuthBackends[3]; b.KeyPermissions["k"][0] != "p" || b.APIKeys[0] != "k" {
		t.Errorf("api_key entry: %+v", b)
	}
	if rc.Guards[1].Permissions[0] != "a" || rc.Skip[0] != "compression" {
		t.Errorf("guards/skip: %+v %v", rc.Guards, rc.Skip)
	}
}

func TestDecodeRejectsUnknownKeys(t *testing.T) {
	_, err := decodeRouteConfig(pack(t, map[string]any{
		"middleware": []any{map[string]any{"type": "cors", "max_agee": 10}},
	}))
	if err == nil || !strings.Contains(err.Error(), "max_agee") {
		t.Fatalf("err = %v", err)
	}
	if _, err := decodeRouteConfig(pack(t, map[string]any{"auth_backends": []any{map[string]any{"type": "jwt", "audience": 3}}})); err == nil {
		t.Fatal("numeric audience accepted")
	}
}

func TestDecodeGlobalConfig(t *testing.T) {
	gc, err := decodeGlobalConfig(pack(t, map[string]any{
		"cors_allowed_origins": []string{"https://a.example"},
		"trusted_proxies":      []string{"10.0.0.0/8"},
		"rate_limit_backend":   "",
		"compression":          nil,
	}))
	if err != nil || gc.Compression != nil || gc.TrustedProxies[0] != "10.0.0.0/8" {
		t.Fatalf("%+v, %v", gc, err)
	}
	gc, err = decodeGlobalConfig(pack(t, map[string]any{
		"compression": map[string]any{"backend": "brotli", "minimum_size": 500, "gzip_compress_level": 9,
			"brotli_quality": 5, "brotli_lgwin": 22, "zstd_level": 3, "gzip_fallback": true},
	}))
	if err != nil || gc.Compression == nil || gc.Compression.BrotliLgwin != 22 || !gc.Compression.GzipFallback {
		t.Fatalf("%+v, %v", gc.Compression, err)
	}
	if _, err := NewShared(gc, quiet); err != nil {
		t.Fatal(err)
	}
}

// The server decodes these structs inside the route table (server.DecodeTable), with
// unknown keys rejected; these helpers decode one of them the same way.
func decodeRouteConfig(b []byte) (RouteConfig, error) {
	var rc RouteConfig
	err := strictDecode(b, &rc)
	return rc, err
}

func decodeGlobalConfig(b []byte) (GlobalConfig, error) {
	var gc GlobalConfig
	err := strictDecode(b, &gc)
	return gc, err
}

func strictDecode(b []byte, v any) error {
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields(true)
	return dec.Decode(v)
}
