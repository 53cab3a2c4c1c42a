package middleware

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestBackendOrderAndIfRevoked(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	backends := []AuthBackendConfig{
		{Type: "jwt", Secret: hmacSecret, Header: "Authorization", HasRevocation: true},
		{Type: "api_key", APIKeys: []string{"k1"}, Header: "Authorization"},
	}
	token := mint(t, "HS256", validClaims(jwt.MapClaims{"jti": "t-1"}))
	cases := []struct {
		name      string
		guards    []GuardConfig
		header    string
		backend   string
		ifRevoked int
	}{
		{"jwt first", nil, "Bearer " + token, BackendJWT, 0},
		{"api key when jwt fails", nil, "Bearer k1", BackendAPIKey, 0},
		{"revoked token on a protected route", []GuardConfig{{Type: "is_authenticated"}}, "Bearer " + token, BackendJWT, 401},
		{"revoked token on a permission route", []GuardConfig{{Type: "allow_any"}, {Type: "is_admin"}}, "Bearer " + token, BackendJWT, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPipeline(t, s, RouteConfig{AuthBackends: backends, Guards: tc.guards})
			a, handled := p.Before(get("Authorization", tc.header))
			if handled || a == nil || a.Backend != tc.backend || a.IfRevoked != tc.ifRevoked {
				t.Fatalf("handled=%v auth=%+v", handled, a)
			}
			if tc.backend == BackendJWT && (!a.CheckRevocation || a.JTI != "t-1") {
				t.Fatalf("revocation data missing: %+v", a)
			}
		})
	}
}
