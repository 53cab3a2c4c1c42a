package middleware

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// jwtLeeway tolerates clock skew between the token issuer and this server
// for both exp and nbf.
const jwtLeeway = 60 * time.Second

type keyFamily int

const (
	familyHMAC keyFamily = iota + 1
	familyRSA
	familyEC
	familyEd25519
)

// jwtAlgorithms maps every accepted algorithm to the kind of key verifying it;
// for EC the curve is fixed by the algorithm too.
var jwtAlgorithms = map[string]struct {
	family keyFamily
	curve  elliptic.Curve
}{
	"HS256": {family: familyHMAC}, "HS384": {family: familyHMAC}, "HS512": {family: familyHMAC},
	"RS256": {family: familyRSA}, "RS384": {family: familyRSA}, "RS512": {family: familyRSA},
	"PS256": {family: familyRSA}, "PS384": {family: familyRSA}, "PS512": {family: familyRSA},
	"ES256": {family: familyEC, curve: elliptic.P256()},
	"ES384": {family: familyEC, curve: elliptic.P384()},
	"ES512": {family: familyEC, curve: elliptic.P521()},
	"EdDSA": {family: familyEd25519},
}

const jwtAlgorithmNames = "HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA"

type jwtBackend struct {
	header     []byte // canonical
	parser     *jwt.Parser
	keyfunc    jwt.Keyfunc
	requireJTI bool

	// Exactly one key is set; keyFor hands it out only to a signing method of
	// the matching family, which is what rules out algorithm confusion.
	hmacKey []byte
	rsaKey  *rsa.PublicKey
	ecKey   *ecdsa.PublicKey
	edKey   ed25519.PublicKey
}

func newJWTBackend(route, entry string, c AuthBackendConfig) (*jwtBackend, error) {
	if err := rejectForeignAuthOptions(route, entry, c); err != nil {
		return nil, err
	}
	algs := c.Algorithms
	if len(algs) == 0 {
		algs = []string{"HS256"}
	}
	b := &jwtBackend{
		header:     canonicalHeader(headerName(c.Header, "authorization")),
		requireJTI: c.RequireJTI,
	}

	var family keyFamily
	for _, alg := range algs {
		spec, ok := jwtAlgorithms[alg]
		if !ok {
			return nil, configError(route, entry, "unknown JWT algorithm %q; use one of %s", alg, jwtAlgorithmNames)
		}
		if family != 0 && family != spec.family {
			return nil, configError(route, entry,
				"algorithms %s mix key types, but one secret cannot be both an HMAC secret and a public key; configure one jwt backend per key", quoteList(algs))
		}
		family = spec.family
	}

	if family == familyHMAC {
		if c.Secret == "" {
			return nil, configError(route, entry, "secret is empty; set the HMAC secret shared with the token issuer")
		}
		if strings.HasPrefix(strings.TrimSpace(c.Secret), "-----BEGIN") {
			return nil, configError(route, entry, "secret is a PEM block but algorithms are HMAC (%s); use RS256, ES256 or EdDSA for public keys", quoteList(algs))
		}
		b.hmacKey = []byte(c.Secret)
	} else {
		key, err := parsePublicKeyPEM(c.Secret)
		if err != nil {
			return nil, configError(route, entry, "secret: %v; put the issuer's PEM-encoded public key there", err)
		}
		for _, alg := range algs {
			if err := b.setKey(alg, key); err != nil {
				return nil, configError(route, entry, "%v", err)
			}
		}
	}
	b.keyfunc = b.keyFor

	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithLeeway(jwtLeeway),
		jwt.WithExpirationRequired(),
		jwt.WithJSONNumber(), // integers in custom claims survive exactly
	}
	if len(c.Audience) > 0 {
		for _, a := range c.Audience {
			if a == "" {
				return nil, configError(route, entry, "audience contains an empty string; list the accepted audiences or leave audience unset")
			}
		}
		opts = append(opts, jwt.WithAudience(c.Audience...))
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	b.parser = jwt.NewParser(opts...)
	return b, nil
}

func (b *jwtBackend) setKey(alg string, key any) error {
	spec := jwtAlgorithms[alg]
	switch k := key.(type) {
	case *rsa.PublicKey:
		if spec.family == familyRSA {
			b.rsaKey = k
			return nil
		}
	case *ecdsa.PublicKey:
		if spec.family == familyEC {
			if k.Curve != spec.curve {
				return fmt.Errorf("algorithm %s needs a %s key but secret holds a %s key; use ES%d",
					alg, spec.curve.Params().Name, k.Curve.Params().Name, ecAlgBits(k.Curve))
			}
			b.ecKey = k
			return nil
		}
	case ed25519.PublicKey:
		if spec.family == familyEd25519 {
			b.edKey = k
			return nil
		}
	}
	return fmt.Errorf("algorithm %s does not match the %T public key in secret; pick the algorithm family of that key (RS/PS for RSA, ES for EC, EdDSA for Ed25519)", alg, key)
}

func ecAlgBits(c elliptic.Curve) int {
	if c == elliptic.P521() {
		return 512
	}
	return c.Params().BitSize
}

func parsePublicKeyPEM(s string) (any, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key (never configure a private key here)", block.Type)
	}
}

func (b *jwtBackend) keyFor(t *jwt.Token) (any, error) {
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if b.hmacKey != nil {
			return b.hmacKey, nil
		}
	case *jwt.SigningMethodRSA, *jwt.SigningMethodRSAPSS:
		if b.rsaKey != nil {
			return b.rsaKey, nil
		}
	case *jwt.SigningMethodECDSA:
		if b.ecKey != nil {
			return b.ecKey, nil
		}
	case *jwt.SigningMethodEd25519:
		if b.edKey != nil {
			return b.edKey, nil
		}
	}
	return nil, errors.New("no key for this algorithm")
}

func (b *jwtBackend) authenticate(ctx *fasthttp.RequestCtx) *Auth {
	raw := ctx.Request.Header.PeekCanonical(b.header)
	if len(raw) == 0 {
		return nil
	}
	token := strings.TrimPrefix(string(raw), "Bearer ")
	if token == "" {
		return nil
	}
	parsed, err := b.parser.Parse(token, b.keyfunc)
	if err != nil || !parsed.Valid {
		return nil
	}
	if _, ok := parsed.Header["crit"]; ok {
		// Critical header parameters name extensions the verifier must understand, and
		// this one understands none (RFC 7515 §4.1.11).
		return nil
	}
	claims, ok := parsed.Claims.(jwt.MapClaims)
	if !ok || !claimTypesValid(claims) {
		return nil
	}
	jti, _ := claims["jti"].(string)
	if b.requireJTI && jti == "" {
		return nil
	}
	a := &Auth{Backend: BackendJWT, Claims: map[string]any(claims)}
	if sub, _ := claims["sub"].(string); sub != "" {
		a.UserID, a.HasUserID = sub, true
	}
	a.IsStaff = claims["is_staff"] == true
	a.IsAdmin = claims["is_superuser"] == true || claims["is_admin"] == true
	if perms, ok := claims["permissions"].([]any); ok && len(perms) > 0 {
		a.Permissions = make([]string, len(perms))
		for i, p := range perms {
			a.Permissions[i] = p.(string) // types checked by claimTypesValid
		}
	}
	return a
}

// claimTypesValid rejects tokens whose well-known claims have the wrong JSON
// type; the Python side relies on these types without re-checking.
func claimTypesValid(c jwt.MapClaims) bool {
	for name, v := range c {
		switch name {
		case "sub", "iss", "jti":
			if _, ok := v.(string); !ok {
				return false
			}
		case "aud":
			if _, ok := v.(string); !ok && !isStringList(v) {
				return false
			}
		case "exp", "iat", "nbf":
			if _, ok := v.(json.Number); !ok {
				return false
			}
		case "is_staff", "is_superuser", "is_admin":
			if _, ok := v.(bool); !ok {
				return false
			}
		case "permissions":
			if !isStringList(v) {
				return false
			}
		}
	}
	return true
}

func isStringList(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range list {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}
