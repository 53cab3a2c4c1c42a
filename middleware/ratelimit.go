package middleware

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"log"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

const (
	// maxRateLimitKey bounds client-chosen keys (headers, forwarded IPs) so a
	// client cannot make the server hold or hash arbitrarily large keys.
	maxRateLimitKey = 256
	// These bounds keep burst*interval far from int64 overflow here and
	// exact in the Redis script's microsecond doubles.
	minRPS            = 1e-3
	maxRPS            = 1e6
	maxBurst          = 1_000_000
	defaultMaxBuckets = 100_000
	storeShards       = 64
	janitorEvery      = 10 * time.Second
	warnEvery         = 10 * time.Second
)

// Rate-limit key kinds; the kind is part of the bucket key so that a header
// value can never collide with an IP or a user id.
const (
	keyIP     byte = 'i'
	keyUser   byte = 'u'
	keyAPIKey byte = 'k'
	keyHeader byte = 'h'
)

type rateLimit struct {
	shared   *Shared
	id       uint32 // local bucket namespace
	name     string // Redis bucket namespace, stable across processes
	interval int64  // nanoseconds per token
	burst    int64
	kind     byte
	header   []byte // for keyHeader, canonical
	authKey  bool   // key needs the authenticated identity, so auth runs first

	limitHeader []byte // the X-RateLimit-* values
	burstHeader []byte
}

func newRateLimit(route, entry string, c MiddlewareConfig, s *Shared, id uint32) (*rateLimit, error) {
	if len(c.Origins)+len(c.Methods)+len(c.Headers)+len(c.ExposeHeaders) > 0 || c.Credentials || c.MaxAge != nil {
		return nil, configError(route, entry, "origins, methods, headers, credentials, max_age and expose_headers are cors options; put them in a {type: \"cors\"} entry")
	}
	if !(c.RPS >= minRPS && c.RPS <= maxRPS) {
		return nil, configError(route, entry, "rps %v must be a number of requests per second in [%g, %g]", c.RPS, minRPS, maxRPS)
	}
	burst := int64(math.Ceil(2 * c.RPS))
	if c.Burst != nil {
		if *c.Burst < 1 || *c.Burst > maxBurst {
			return nil, configError(route, entry, "burst %d must be 1..%d (or leave it out for 2*rps)", *c.Burst, maxBurst)
		}
		burst = int64(*c.Burst)
	}
	r := &rateLimit{
		shared:      s,
		id:          id,
		name:        route,
		interval:    int64(math.Round(1e9 / c.RPS)),
		burst:       burst,
		limitHeader: strconv.AppendFloat(nil, c.RPS, 'f', -1, 64),
		burstHeader: strconv.AppendInt(nil, burst, 10),
	}
	if r.name == "" {
		r.name = "#" + strconv.FormatUint(uint64(id), 10)
	}
	switch c.Key {
	case "", "ip":
		r.kind = keyIP
	case "user":
		r.kind, r.authKey = keyUser, true
	case "api_key":
		r.kind, r.authKey = keyAPIKey, true
	default:
		if !validHeaderName(c.Key) {
			return nil, configError(route, entry, "key %q is neither \"ip\", \"user\", \"api_key\" nor a header name", c.Key)
		}
		r.kind, r.header = keyHeader, canonicalHeader(c.Key)
	}
	return r, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// check returns 0 when the request may proceed, 400 when its key is too long
// or 429 with the seconds to wait before the next token.
func (r *rateLimit) check(ctx *fasthttp.RequestCtx, a *Auth) (status int, retryAfter int64) {
	var arr [5 + maxRateLimitKey + 1]byte
	buf := binary.BigEndian.AppendUint32(arr[:0], r.id)
	key, ok := r.appendKey(buf, ctx, a)
	if !ok {
		return fasthttp.StatusBadRequest, 0
	}
	allowed, wait := r.shared.allow(r, key)
	if allowed {
		return 0, 0
	}
	secs := (wait + int64(time.Second) - 1) / int64(time.Second)
	return fasthttp.StatusTooManyRequests, max(secs, 1)
}

// appendKey appends kind byte and key value; false means the value exceeds
// maxRateLimitKey.
func (r *rateLimit) appendKey(buf []byte, ctx *fasthttp.RequestCtx, a *Auth) ([]byte, bool) {
	var v []byte
	switch {
	case r.kind == keyUser && a != nil && a.HasUserID:
		return appendBounded(append(buf, keyUser), a.UserID)
	case r.kind == keyAPIKey && a != nil && a.Backend == BackendAPIKey:
		return appendBounded(append(buf, keyAPIKey), a.APIKey)
	case r.kind == keyHeader:
		if v = ctx.Request.Header.PeekCanonical(r.header); len(v) == 0 {
			v = []byte("unknown")
		}
		if len(v) > maxRateLimitKey {
			return nil, false
		}
		return append(append(buf, keyHeader), v...), true
	}
	return r.shared.appendClientIP(append(buf, keyIP), ctx)
}

func appendBounded(buf []byte, s string) ([]byte, bool) {
	if len(s) > maxRateLimitKey {
		return nil, false
	}
	return append(buf, s...), true
}

// appendClientIP appends the client's IP: the socket peer, or what a trusted
// proxy reports for it.
func (s *Shared) appendClientIP(buf []byte, ctx *fasthttp.RequestCtx) ([]byte, bool) {
	var peer netip.Addr
	switch a := ctx.RemoteAddr().(type) {
	case *net.TCPAddr:
		peer, _ = netip.AddrFromSlice(a.IP)
		peer = peer.Unmap()
	default:
		return appendBounded(buf, a.String())
	}
	if s.trusted(peer) {
		if client := s.forwardedClient(ctx.Request.Header.PeekAll(fasthttp.HeaderXForwardedFor)); len(client) > 0 {
			if len(client) > maxRateLimitKey {
				return nil, false
			}
			return append(buf, client...), true
		}
		if realIP := bytes.TrimSpace(ctx.Request.Header.PeekCanonical(hRealIP)); len(realIP) > 0 {
			if len(realIP) > maxRateLimitKey {
				return nil, false
			}
			return append(buf, realIP...), true
		}
	}
	return peer.AppendTo(buf), true
}

// forwardedClient is the client's address in X-Forwarded-For (its header lines in
// order, one list): each proxy appends the address it was connected from, so the list
// is read from its right end, past the entries of trusted proxies, and the first entry
// that is not one is the client. Entries further left were written by that client
// (or by proxies nobody vouches for): believing the leftmost, as was done, let every
// client pick a new bucket per request. nil when the header is absent or blank.
func (s *Shared) forwardedClient(lines [][]byte) []byte {
	var leftmost []byte
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for len(rest) > 0 {
			entry := rest
			if j := bytes.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				rest = nil
			}
			if entry = bytes.TrimSpace(entry); len(entry) == 0 {
				continue
			}
			addr, err := netip.ParseAddr(string(entry))
			if err != nil || !s.trusted(addr.Unmap()) {
				return entry
			}
			leftmost = entry
		}
	}
	return leftmost // trusted proxies only: the first of them is the client
}

func (s *Shared) trusted(peer netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(peer) {
			return true
		}
	}
	return false
}

// allow consults Redis when configured and reachable, else the local store.
func (s *Shared) allow(r *rateLimit, key []byte) (bool, int64) {
	if s.redis != nil {
		if ok, wait, err := s.redis.allow(r, key[4:]); err == nil {
			return ok, wait
		}
	}
	return s.local.allow(key, r.interval, r.burst)
}

// localStore keeps one GCRA "theoretical arrival time" per bucket, which is
// equivalent to a token bucket but needs a single int64 of state: a bucket
// whose tat is in the past is full and can be forgotten.
type localStore struct {
	seed     maphash.Seed
	shardCap int
	clock    func() int64
	log      *log.Logger
	lastWarn atomic.Int64
	shards   [storeShards]storeShard
}

type storeShard struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct{ tat int64 }

func newLocalStore(maxBuckets int, logger *log.Logger) *localStore {
	start := time.Now()
	s := &localStore{
		seed:     maphash.MakeSeed(),
		shardCap: max(maxBuckets/storeShards, 1),
		clock:    func() int64 { return int64(time.Since(start)) },
		log:      logger,
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*bucket)
	}
	return s
}

func (s *localStore) allow(key []byte, interval, burst int64) (bool, int64) {
	now := s.clock()
	sh := &s.shards[maphash.Bytes(s.seed, key)%storeShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.m[string(key)]
	if b == nil {
		if len(sh.m) >= s.shardCap {
			s.makeRoom(sh, now)
		}
		b = &bucket{tat: now}
		sh.m[string(key)] = b
	}
	tat := max(b.tat, now) + interval
	if wait := tat - burst*interval - now; wait > 0 {
		return false, wait
	}
	b.tat = tat
	return true, 0
}

// makeRoom frees an eighth of a full shard so the cost is paid once per many
// inserts: first full (idle) buckets, then those closest to full, whose
// clients lose the least by starting over. Forgetting active buckets relaxes
// the limit for those clients, so it is logged.
func (s *localStore) makeRoom(sh *storeShard, now int64) {
	target := s.shardCap - max(s.shardCap/8, 1)
	for k, b := range sh.m {
		if b.tat <= now {
			delete(sh.m, k)
		}
	}
	if len(sh.m) <= target {
		return
	}
	tats := make([]int64, 0, len(sh.m))
	for _, b := range sh.m {
		tats = append(tats, b.tat)
	}
	slices.Sort(tats)
	cut := tats[len(sh.m)-target-1]
	evicted := 0
	for k, b := range sh.m {
		if b.tat <= cut {
			delete(sh.m, k)
			evicted++
		}
	}
	if last := s.lastWarn.Load(); now-last >= int64(warnEvery) && s.lastWarn.CompareAndSwap(last, now) {
		s.log.Printf("rate limiter bucket table full (%d buckets): forgot %d active buckets, whose clients get a fresh burst",
			s.shardCap*storeShards, evicted)
	}
}

// sweep forgets every full bucket; run periodically so memory follows the
// number of recently active clients.
func (s *localStore) sweep() {
	now := s.clock()
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, b := range sh.m {
			if b.tat <= now {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
