package middleware

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"

	"github.com/valyala/fasthttp"
)

type apiKey struct {
	key         string
	userID      string
	digest      [sha256.Size]byte
	permissions []string
}

type apiKeyBackend struct {
	header []byte // canonical
	keys   []apiKey
}

func newAPIKeyBackend(route, entry string, c AuthBackendConfig) (*apiKeyBackend, error) {
	if err := rejectForeignAuthOptions(route, entry, c); err != nil {
		return nil, err
	}
	b := &apiKeyBackend{header: canonicalHeader(headerName(c.Header, "x-api-key"))}
	seen := make(map[string]bool, len(c.APIKeys))
	for i, k := range c.APIKeys {
		if k == "" {
			return nil, configError(route, entry, "api_keys[%d] is empty; remove it", i)
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		ak := apiKey{key: k, userID: "apikey:" + k, digest: sha256.Sum256([]byte(k))}
		if perms := c.KeyPermissions[k]; len(perms) > 0 {
			ak.permissions = perms
		}
		b.keys = append(b.keys, ak)
	}
	// Keys are secrets, so the error counts the strays instead of naming them.
	stray := 0
	for k := range c.KeyPermissions {
		if !seen[k] {
			stray++
		}
	}
	if stray > 0 {
		return nil, configError(route, entry, "key_permissions names %d key(s) missing from api_keys; add them to api_keys or drop those entries", stray)
	}
	return b, nil
}

func (b *apiKeyBackend) authenticate(ctx *fasthttp.RequestCtx) *Auth {
	k := b.match(ctx.Request.Header.PeekCanonical(b.header))
	if k == nil {
		return nil
	}
	return &Auth{
		UserID:      k.userID,
		HasUserID:   true,
		Backend:     BackendAPIKey,
		Permissions: k.permissions,
		APIKey:      k.key,
	}
}

// match compares digests rather than raw keys so the comparison time depends
// neither on the presented key's length nor on which configured key matched,
// and it always visits every key.
func (b *apiKeyBackend) match(raw []byte) *apiKey {
	if len(b.keys) == 0 || len(raw) == 0 {
		return nil
	}
	if v, ok := bytes.CutPrefix(raw, []byte("Bearer ")); ok {
		raw = v
	} else if v, ok := bytes.CutPrefix(raw, []byte("ApiKey ")); ok {
		raw = v
	}
	digest := sha256.Sum256(raw)
	found := -1
	for i := range b.keys {
		eq := subtle.ConstantTimeCompare(digest[:], b.keys[i].digest[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return nil
	}
	return &b.keys[found]
}
