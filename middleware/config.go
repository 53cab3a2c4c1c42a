package middleware

import (
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// RouteConfig is one route's middleware configuration as compiled by Python.
type RouteConfig struct {
	// Route names the route ("GET /items/{id}") in construction errors and
	// namespaces its rate-limit buckets; with a shared Redis backend it must
	// be the same in every process for the limit to be shared.
	Route        string              `msgpack:"route"`
	Middleware   []MiddlewareConfig  `msgpack:"middleware"`
	Skip         []string            `msgpack:"skip"`
	AuthBackends []AuthBackendConfig `msgpack:"auth_backends"`
	Guards       []GuardConfig       `msgpack:"guards"`
}

// MiddlewareConfig is one entry of RouteConfig.Middleware. Type selects
// which of the other fields apply: "cors" uses Origins to ExposeHeaders,
// "rate_limit" uses RPS, Burst and Key. Pointer fields distinguish "absent"
// (take the default) from an explicit value.
type MiddlewareConfig struct {
	Type string `msgpack:"type"`

	Origins       []string `msgpack:"origins"`
	Methods       []string `msgpack:"methods"`
	Headers       []string `msgpack:"headers"`
	Credentials   bool     `msgpack:"credentials"`
	MaxAge        *int     `msgpack:"max_age"`
	ExposeHeaders []string `msgpack:"expose_headers"`
	// OriginRegexes also allow origins they match from the start (as Python's
	// re.match does); only the project-wide policy sets them.
	OriginRegexes []string `msgpack:"origin_regexes"`

	RPS   float64 `msgpack:"rps"`
	Burst *int    `msgpack:"burst"`
	Key   string  `msgpack:"key"`
}

// AuthBackendConfig is one entry of RouteConfig.AuthBackends. Type "jwt"
// uses Secret to HasRevocation, "api_key" uses APIKeys and KeyPermissions;
// both use Header.
type AuthBackendConfig struct {
	Type   string `msgpack:"type"`
	Header string `msgpack:"header"`

	Secret        string     `msgpack:"secret"`
	Algorithms    []string   `msgpack:"algorithms"`
	Audience      StringList `msgpack:"audience"`
	Issuer        string     `msgpack:"issuer"`
	RequireJTI    bool       `msgpack:"require_jti"`
	HasRevocation bool       `msgpack:"has_revocation"` // Python looks tokens up (route.py); Go only checks it sits on a JWT backend

	APIKeys        []string            `msgpack:"api_keys"`
	KeyPermissions map[string][]string `msgpack:"key_permissions"`
}

// GuardConfig is one entry of RouteConfig.Guards.
type GuardConfig struct {
	Type        string   `msgpack:"type"`
	Permission  string   `msgpack:"permission"`
	Permissions []string `msgpack:"permissions"`
}

// GlobalConfig is the process-wide configuration shared by every route.
type GlobalConfig struct {
	// CORSAllowedOrigins are the origins of route CORS entries that list none.
	CORSAllowedOrigins []string `msgpack:"cors_allowed_origins"`
	// CORS is the project-wide policy (the CORS_* settings), used by routes
	// without a CORS entry of their own and for paths no route matches; nil
	// when the project configures none.
	CORS *MiddlewareConfig `msgpack:"cors"`
	// TrustedProxies lists IPs or CIDRs whose X-Forwarded-For / X-Real-IP
	// headers are believed when keying rate limits by client IP.
	TrustedProxies []string `msgpack:"trusted_proxies"`
	// RateLimitBackend is "" for in-process buckets or a redis:// URL.
	RateLimitBackend string `msgpack:"rate_limit_backend"`
	// Compression nil turns response compression off.
	Compression *CompressionConfig `msgpack:"compression"`
}

// CompressionConfig configures buffered-response compression. Every field
// is validated as given: Python sends all of them.
type CompressionConfig struct {
	Backend           string `msgpack:"backend"`
	MinimumSize       int    `msgpack:"minimum_size"`
	GzipCompressLevel int    `msgpack:"gzip_compress_level"`
	BrotliQuality     int    `msgpack:"brotli_quality"`
	BrotliLgwin       int    `msgpack:"brotli_lgwin"`
	ZstdLevel         int    `msgpack:"zstd_level"`
	GzipFallback      bool   `msgpack:"gzip_fallback"`
}

// StringList decodes from msgpack nil, a string, or an array of strings, as
// the JWT "audience" option may be any of the three.
type StringList []string

// DecodeMsgpack implements msgpack.CustomDecoder.
func (s *StringList) DecodeMsgpack(dec *msgpack.Decoder) error {
	code, err := dec.PeekCode()
	if err != nil {
		return err
	}
	switch {
	case code == msgpcode.Nil:
		*s = nil
		return dec.DecodeNil()
	case msgpcode.IsString(code):
		v, err := dec.DecodeString()
		if err != nil {
			return err
		}
		*s = StringList{v}
		return nil
	default:
		var list []string
		if err := dec.Decode(&list); err != nil {
			return fmt.Errorf("audience must be a string, a list of strings or nil: %w", err)
		}
		*s = list
		return nil
	}
}

// configError formats construction errors uniformly: which route, which
// entry, what is wrong and what to write instead.
func configError(route, entry, format string, args ...any) error {
	name := route
	if name == "" {
		name = "(unnamed route)"
	}
	return fmt.Errorf("route %s: %s: %s", name, entry, fmt.Sprintf(format, args...))
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
