package middleware

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

type testKey struct {
	private crypto.Signer
	pem     string
}

var (
	keysOnce sync.Once
	keys     map[string]testKey // by family: "RSA", "P256", "P384", "P521", "Ed25519"
)

func testKeys(t testing.TB) map[string]testKey {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]testKey{}
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys["RSA"] = newTestKey(rsaKey)
		for name, curve := range map[string]elliptic.Curve{"P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()} {
			k, err := ecdsa.GenerateKey(curve, rand.Reader)
			if err != nil {
				panic(err)
			}
			keys[name] = newTestKey(k)
		}
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		keys["Ed25519"] = newTestKey(ed)
	})
	return keys
}

func newTestKey(k crypto.Signer) testKey {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic(err)
	}
	return testKey{private: k, pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

const hmacSecret = "test-secret-of-reasonable-length-0123456789"

// algKey says which key signs and verifies each algorithm in these tests.
var algKey = map[string]string{
	"RS256": "RSA", "RS384": "RSA", "RS512": "RSA", "PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
	"ES256": "P256", "ES384": "P384", "ES512": "P521", "EdDSA": "Ed25519",
}

func signingKey(t testing.TB, alg string) (sign any, secret string) {
	if strings.HasPrefix(alg, "HS") {
		return []byte(hmacSecret), hmacSecret
	}
	k := testKeys(t)[algKey[alg]]
	return k.private, k.pem
}

func mint(t testing.TB, alg string, claims jwt.MapClaims) string {
	t.Helper()
	key, _ := signingKey(t, alg)
	s, err := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(extra jwt.MapClaims) jwt.MapClaims {
	c := jwt.MapClaims{"sub": "42", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func jwtBackendFor(t testing.TB, cfg AuthBackendConfig) *jwtBackend {
	t.Helper()
	cfg.Type = "jwt"
	b, err := newJWTBackend("GET /t", "auth_backends[0]", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func bearer(token string) *fasthttp.RequestCtx { return get("Authorization", "Bearer "+token) }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestJWTEveryAlgorithm(t *testing.T) {
	for _, alg := range strings.Split(jwtAlgorithmNames, ", ") {
		t.Run(alg, func(t *testing.T) {
			_, secret := signingKey(t, alg)
			b := jwtBackendFor(t, AuthBackendConfig{Secret: secret, Algorithms: []string{alg}})
			a := b.authenticate(bearer(mint(t, alg, validClaims(nil))))
			if a == nil || a.UserID != "42" || !a.HasUserID || a.Backend != BackendJWT {
				t.Fatalf("valid %s token rejected or mis-mapped: %+v", alg, a)
			}
		})
	}
}

func TestJWTValidation(t *testing.T) {
	now := time.Now()
	rsaPEM := testKeys(t)["RSA"].pem
	hs := AuthBackendConfig{Secret: hmacSecret, Algorithms: []string{"HS256"}}
	withAud := hs
	withAud.Audience = StringList{"api", "admin"}
	withIss := hs
	withIss.Issuer = "https://issuer.example"
	withJTI := hs
	withJTI.RequireJTI = true
	customHeader := hs
	customHeader.Header = "X-Token"

	valid := mint(t, "HS256", validClaims(nil))
	parts := strings.Split(valid, ".")
	forgedPayload := parts[0] + "." + b64(`{"sub":"1","exp":9999999999}`) + "." + parts[2]
	badSig := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

	noneToken, err := jwt.NewWithClaims(jwt.SigningMethodNone, validClaims(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// The classic confusion attack: HMAC-sign with the public key as secret.
	confused, err := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims(nil)).SignedString([]byte(rsaPEM))
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		cfg    AuthBackendConfig
		header [2]string
		ok     bool
	}{
		{"valid", hs, [2]string{"Authorization", "Bearer " + valid}, true},
		{"no Bearer prefix", hs, [2]string{"Authorization", valid}, true},
		{"lower-case bearer is not stripped", hs, [2]string{"Authorization", "bearer " + valid}, false},
		{"missing header", hs, [2]string{"X-Other", valid}, false},
		{"custom header", customHeader, [2]string{"x-token", "Bearer " + valid}, true},
		{"expired", hs, tok(t, "HS256", jwt.MapClaims{"exp": now.Add(-2 * time.Minute).Unix()}), false},
		{"expired within leeway", hs, tok(t, "HS256", jwt.MapClaims{"exp": now.Add(-30 * time.Second).Unix()}), true},
		{"no exp", hs, tok(t, "HS256", jwt.MapClaims{"exp": nil}), false},
		{"float exp", hs, tok(t, "HS256", jwt.MapClaims{"exp": float64(now.Add(time.Hour).Unix()) + 0.5}), true},
		{"not yet valid", hs, tok(t, "HS256", jwt.MapClaims{"nbf": now.Add(2 * time.Minute).Unix()}), false},
		{"nbf within leeway", hs, tok(t, "HS256", jwt.MapClaims{"nbf": now.Add(30 * time.Second).Unix()}), true},
		{"audience string match", withAud, tok(t, "HS256", jwt.MapClaims{"aud": "admin"}), true},
		{"audience list match", withAud, tok(t, "HS256", jwt.MapClaims{"aud": []string{"other", "api"}}), true},
		{"wrong audience", withAud, tok(t, "HS256", jwt.MapClaims{"aud": "other"}), false},
		{"missing audience", withAud, tok(t, "HS256", nil), false},
		{"aud accepted when none configured", hs, tok(t, "HS256", jwt.MapClaims{"aud": "anything"}), true},
		{"issuer match", withIss, tok(t, "HS256", jwt.MapClaims{"iss": "https://issuer.example"}), true},
		{"wrong issuer", withIss, tok(t, "HS256", jwt.MapClaims{"iss": "https://evil.example"}), false},
		{"missing issuer", withIss, tok(t, "HS256", nil), false},
		{"jti required and present", withJTI, tok(t, "HS256", jwt.MapClaims{"jti": "abc"}), true},
		{"jti required and missing", withJTI, tok(t, "HS256", nil), false},
		{"tampered payload", hs, [2]string{"Authorization", "Bearer " + forgedPayload}, false},
		{"tampered signature", hs, [2]string{"Authorization", "Bearer " + badSig}, false},
		{"wrong secret", AuthBackendConfig{Secret: "other", Algorithms: []string{"HS256"}}, [2]string{"Authorization", valid}, false},
		{"alg none", hs, [2]string{"Authorization", noneToken}, false},
		{"alg not configured", hs, tok(t, "HS512", nil), false},
		{"HS token against RS key", AuthBackendConfig{Secret: rsaPEM, Algorithms: []string{"RS256"}}, [2]string{"Authorization", confused}, false},
		{"garbage", hs, [2]string{"Authorization", "Bearer not.a.jwt"}, false},
		{"sub not a string", hs, tok(t, "HS256", jwt.MapClaims{"sub": 42}), false},
		{"iss not a string", hs, tok(t, "HS256", jwt.MapClaims{"iss": true}), false},
		{"jti not a string", hs, tok(t, "HS256", jwt.MapClaims{"jti": 7}), false},
		{"aud list of non-strings", hs, tok(t, "HS256", jwt.MapClaims{"aud": []any{1}}), false},
		{"exp a string", hs, tok(t, "HS256", jwt.MapClaims{"exp": "9999999999"}), false},
		{"iat a string", hs, tok(t, "HS256", jwt.MapClaims{"iat": "yesterday"}), false},
		{"is_staff a string", hs, tok(t, "HS256", jwt.MapClaims{"is_staff": "true"}), false},
		{"is_superuser a number", hs, tok(t, "HS256", jwt.MapClaims{"is_superuser": 1}), false},
		{"permissions a string", hs, tok(t, "HS256", jwt.MapClaims{"permissions": "read"}), false},
		{"permissions with a number", hs, tok(t, "HS256", jwt.MapClaims{"permissions": []any{"read", 1}}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := jwtBackendFor(t, tc.cfg)
			a := b.authenticate(get(tc.header[0], tc.header[1]))
			if (a != nil) != tc.ok {
				t.Fatalf("authenticated=%v, want %v", a != nil, tc.ok)
			}
		})
	}
}

func tok(t testing.TB, alg string, extra jwt.MapClaims) [2]string {
	return [2]string{"Authorization", "Bearer " + mint(t, alg, validClaims(extra))}
}

func TestJWTAuthContext(t *testing.T) {
	b := jwtBackendFor(t, AuthBackendConfig{Secret: hmacSecret, HasRevocation: true})
	token := mint(t, "HS256", validClaims(jwt.MapClaims{
		"is_staff": true, "is_superuser": true, "permissions": []string{"a.read", "a.write"},
		"jti": "j-1", "aud": "x", "tenant": map[string]any{"id": 9007199254740993}, "nbf": time.Now().Unix(),
	}))
	a := b.authenticate(bearer(token))
	if a == nil {
		t.Fatal("not authenticated")
	}
	if !a.IsStaff || !a.IsAdmin || a.Claims["jti"] != "j-1" {
		t.Fatalf("flags: %+v", a)
	}
	if strings.Join(a.Permissions, ",") != "a.read,a.write" {
		t.Fatalf("permissions %v", a.Permissions)
	}
	for _, k := range []string{"sub", "exp", "iat", "nbf", "aud", "jti", "is_staff", "is_superuser", "permissions", "tenant"} {
		if _, ok := a.Claims[k]; !ok {
			t.Errorf("claim %q missing from Claims", k)
		}
	}
	// 2^53+1 does not survive float64; json.Number keeps it.
	if id := a.Claims["tenant"].(map[string]any)["id"]; id != json.Number("9007199254740993") {
		t.Errorf("large integer claim = %#v", id)
	}

	noSub := b.authenticate(bearer(mint(t, "HS256", validClaims(jwt.MapClaims{"sub": nil, "is_admin": true}))))
	if noSub == nil || noSub.HasUserID || noSub.UserID != "" || !noSub.IsAdmin || noSub.Permissions != nil {
		t.Fatalf("token without sub: %+v", noSub)
	}
}

func TestJWTConstructionErrors(t *testing.T) {
	k := testKeys(t)
	privDER, _ := x509.MarshalPKCS8PrivateKey(k["P256"].private)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	cases := []struct {
		name string
		cfg  AuthBackendConfig
		want string
	}{
		{"unknown algorithm", AuthBackendConfig{Secret: "s", Algorithms: []string{"HS257"}}, `unknown JWT algorithm "HS257"`},
		{"alg none", AuthBackendConfig{Secret: "s", Algorithms: []string{"none"}}, `unknown JWT algorithm "none"`},
		{"HMAC and RSA mixed", AuthBackendConfig{Secret: k["RSA"].pem, Algorithms: []string{"HS256", "RS256"}}, "mix key types"},
		{"empty HMAC secret", AuthBackendConfig{}, "secret is empty"},
		{"PEM as HMAC secret", AuthBackendConfig{Secret: k["RSA"].pem, Algorithms: []string{"HS256"}}, "PEM block"},
		{"PEM that does not parse", AuthBackendConfig{Secret: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", Algorithms: []string{"RS256"}}, "secret:"},
		{"not PEM", AuthBackendConfig{Secret: "hello", Algorithms: []string{"RS256"}}, "no PEM block"},
		{"private key", AuthBackendConfig{Secret: privPEM, Algorithms: []string{"ES256"}}, "not a public key"},
		{"RSA alg with EC key", AuthBackendConfig{Secret: k["P256"].pem, Algorithms: []string{"RS256"}}, "does not match"},
		{"curve mismatch", AuthBackendConfig{Secret: k["P384"].pem, Algorithms: []string{"ES256"}}, "use ES384"},
		{"P-521 hint", AuthBackendConfig{Secret: k["P521"].pem, Algorithms: []string{"ES256"}}, "use ES512"},
		{"EdDSA with RSA key", AuthBackendConfig{Secret: k["RSA"].pem, Algorithms: []string{"EdDSA"}}, "does not match"},
		{"empty audience", AuthBackendConfig{Secret: "s", Audience: StringList{""}}, "empty string"},
		{"api_key option on jwt", AuthBackendConfig{Secret: "s", APIKeys: []string{"k"}}, `"api_keys" not valid for type "jwt"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Type = "jwt"
			_, err := newJWTBackend("GET /t", "auth_backends[0]", tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "route GET /t: auth_backends[0]") {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestJWTSeveralAlgorithmsOneFamily(t *testing.T) {
	b := jwtBackendFor(t, AuthBackendConfig{Secret: testKeys(t)["RSA"].pem, Algorithms: []string{"RS256", "PS512"}})
	for _, alg := range []string{"RS256", "PS512"} {
		if b.authenticate(bearer(mint(t, alg, validClaims(nil)))) == nil {
			t.Errorf("%s rejected though configured", alg)
		}
	}
	if b.authenticate(bearer(mint(t, "RS384", validClaims(nil)))) != nil {
		t.Error("RS384 accepted though not configured")
	}
}

func TestJWTPublicKeyFormats(t *testing.T) {
	k := testKeys(t)
	rsaKey := k["RSA"].private.(*rsa.PrivateKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k["Ed25519"].private.Public(), k["Ed25519"].private)
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for _, tc := range []struct{ alg, secret string }{{"RS256", string(pkcs1)}, {"EdDSA", string(cert)}} {
		b := jwtBackendFor(t, AuthBackendConfig{Secret: tc.secret, Algorithms: []string{tc.alg}})
		if b.authenticate(bearer(mint(t, tc.alg, validClaims(nil)))) == nil {
			t.Errorf("%s with %.20q: valid token rejected", tc.alg, tc.secret)
		}
	}
}
