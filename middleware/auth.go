package middleware

import (
	"fmt"
	"strings"

	"github.com/valyala/fasthttp"
)

// Values of Auth.Backend.
const (
	BackendJWT    = "jwt"
	BackendAPIKey = "api_key"
)

// Auth is the result of authentication. The server turns it into the Python
// dict request["context"]. Slices and maps may be shared with the pipeline's
// configuration: treat them as read-only.
type Auth struct {
	UserID      string // JWT "sub", or "apikey:<key>"
	HasUserID   bool
	IsStaff     bool
	IsAdmin     bool     // JWT is_superuser or is_admin
	Backend     string   // BackendJWT or BackendAPIKey
	Permissions []string // nil when there are none
	// Claims holds every JWT claim (nil for API keys). JSON numbers are
	// json.Number so large integers are not rounded through float64.
	Claims map[string]any
	APIKey string // the matched key, API-key backend only
	// Revocation is not decided here: Python looks the token's jti up
	// (django_bolt/_runtime/route.py) before the handler runs.
}

type authBackend interface {
	authenticate(ctx *fasthttp.RequestCtx) *Auth
}

func newAuthBackend(route string, i int, c AuthBackendConfig) (authBackend, error) {
	entry := fmt.Sprintf("auth_backends[%d]", i)
	switch c.Type {
	case "jwt":
		return newJWTBackend(route, entry, c)
	case "api_key":
		return newAPIKeyBackend(route, entry, c)
	default:
		return nil, configError(route, entry, "unknown auth backend type %q; use \"jwt\" or \"api_key\"", c.Type)
	}
}

// authenticate tries the backends in order; the first success wins.
func authenticate(backends []authBackend, ctx *fasthttp.RequestCtx) *Auth {
	for _, b := range backends {
		if a := b.authenticate(ctx); a != nil {
			return a
		}
	}
	return nil
}

// rejectForeignAuthOptions catches options written on the wrong backend type,
// which would otherwise be silently ignored.
func rejectForeignAuthOptions(route, entry string, c AuthBackendConfig) error {
	var foreign []string
	switch c.Type {
	case "jwt":
		if len(c.APIKeys) > 0 {
			foreign = append(foreign, "api_keys")
		}
		if len(c.KeyPermissions) > 0 {
			foreign = append(foreign, "key_permissions")
		}
	case "api_key":
		if c.Secret != "" {
			foreign = append(foreign, "secret")
		}
		if len(c.Algorithms) > 0 {
			foreign = append(foreign, "algorithms")
		}
		if len(c.Audience) > 0 {
			foreign = append(foreign, "audience")
		}
		if c.Issuer != "" {
			foreign = append(foreign, "issuer")
		}
		if c.RequireJTI {
			foreign = append(foreign, "require_jti")
		}
		if c.HasRevocation {
			foreign = append(foreign, "has_revocation")
		}
	}
	if len(foreign) > 0 {
		return configError(route, entry, "%s not valid for type %q; move them to the backend they belong to", quoteList(foreign), c.Type)
	}
	return nil
}

func headerName(configured, def string) string {
	if configured == "" {
		return def
	}
	return strings.ToLower(configured)
}
