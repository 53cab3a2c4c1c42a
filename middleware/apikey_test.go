package middleware

import (
	"strings"
	"testing"
)

func TestAPIKey(t *testing.T) {
	b, err := newAPIKeyBackend("GET /t", "auth_backends[0]", AuthBackendConfig{
		Type:           "api_key",
		APIKeys:        []string{"key-one", "key-two"},
		KeyPermissions: map[string][]string{"key-two": {"items.read"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, header, value string
		want                string // matched key, "" for none
	}{
		{"raw", "X-API-Key", "key-one", "key-one"},
		{"Bearer prefix", "X-API-Key", "Bearer key-two", "key-two"},
		{"ApiKey prefix", "x-api-key", "ApiKey key-one", "key-one"},
		{"unknown key", "X-API-Key", "key-three", ""},
		{"prefix of a key", "X-API-Key", "key-", ""},
		{"key with suffix", "X-API-Key", "key-one1", ""},
		{"empty", "X-API-Key", "", ""},
		{"other header", "Authorization", "key-one", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := b.authenticate(get(tc.header, tc.value))
			if tc.want == "" {
				if a != nil {
					t.Fatalf("authenticated as %q", a.APIKey)
				}
				return
			}
			if a == nil || a.APIKey != tc.want || a.UserID != "apikey:"+tc.want || !a.HasUserID || a.Backend != BackendAPIKey {
				t.Fatalf("got %+v, want key %q", a, tc.want)
			}
		})
	}
	if a := b.authenticate(get("X-API-Key", "key-two")); len(a.Permissions) != 1 || a.Permissions[0] != "items.read" || a.Claims != nil {
		t.Fatalf("key-two context: %+v", a)
	}
}

func TestAPIKeyConfig(t *testing.T) {
	empty, err := newAPIKeyBackend("r", "e", AuthBackendConfig{Type: "api_key", Header: "Authorization"})
	if err != nil {
		t.Fatal(err)
	}
	if empty.authenticate(get("Authorization", "")) != nil || empty.authenticate(get("Authorization", "x")) != nil {
		t.Fatal("an empty key set authenticated")
	}
	for _, tc := range []struct {
		cfg  AuthBackendConfig
		want string
	}{
		{AuthBackendConfig{APIKeys: []string{"a", ""}}, "api_keys[1] is empty"},
		{AuthBackendConfig{APIKeys: []string{"a"}, KeyPermissions: map[string][]string{"secret-b": {"p"}}}, "1 key(s) missing from api_keys"},
		{AuthBackendConfig{APIKeys: []string{"a"}, Secret: "s", Algorithms: []string{"HS256"}}, `"secret", "algorithms" not valid for type "api_key"`},
	} {
		tc.cfg.Type = "api_key"
		_, err := newAPIKeyBackend("GET /t", "auth_backends[1]", tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-b") {
			t.Errorf("error leaks a key: %v", err)
		}
	}
}
