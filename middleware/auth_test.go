package middleware

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestBackendOrder(t *testing.T) {
	s := mustShared(t, GlobalConfig{})
	backends := []AuthBackendConfig{
		{Type: "jwt", Secret: hmacSecret, Header: "Authorization", HasRevocation: true},
		{Type: "api_key", APIKeys: []string{"k1"}, Header: "Authorization"},
	}
	token := mint(t, "HS256", validClaims(jwt.MapClaims{"jti": "t-1"}))
	cases := []struct {
		name    string
		guards  []GuardConfig
		header  string
		backend string
	}{
		{"jwt first", nil, "Bearer " + token, BackendJWT},
		{"api key when jwt fails", nil, "Bearer k1", BackendAPIKey},
		{"jwt on a protected route", []GuardConfig{{Type: "is_authenticated"}}, "Bearer " + token, BackendJWT},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPipeline(t, s, RouteConfig{AuthBackends: backends, Guards: tc.guards})
			a, handled := p.Before(get("Authorization", tc.header))
			if handled || a == nil || a.Backend != tc.backend {
				t.Fatalf("handled=%v auth=%+v", handled, a)
			}
		})
	}
}
