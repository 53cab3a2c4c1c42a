package middleware

import (
	"context"
	"errors"
	"log"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	redisTimeout = 200 * time.Millisecond
	// redisBackoff is how long requests use the local limiter after a Redis
	// failure before Redis is tried again, so an outage costs one timeout
	// per interval rather than one per request.
	redisBackoff = 2 * time.Second
	redisPrefix  = "djangobolt:rl:"
)

// gcraScript is the same GCRA as localStore.allow, run atomically inside
// Redis on Redis's own clock so processes with skewed clocks agree. Times are
// in microseconds, which a Lua double holds exactly. It returns 0 when the
// request is allowed, else the microseconds to wait.
var gcraScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new = tat + interval
local wait = new - burst * interval - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', math.ceil((new - now) / 1000) + 1)
return 0
`)

type redisLimiter struct {
	client     *redis.Client
	url        string
	log        *log.Logger
	retryAfter atomic.Int64 // unix nanoseconds; Redis is skipped until then
}

func newRedisLimiter(url string, logger *log.Logger) (*redisLimiter, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opts.DialTimeout = redisTimeout
	opts.ReadTimeout = redisTimeout
	opts.WriteTimeout = redisTimeout
	// Retries would multiply the stall a request sees while Redis is down;
	// the local fallback covers the failure instead.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.DisableIdentity = true
	return &redisLimiter{client: redis.NewClient(opts), url: redactURL(opts), log: logger}, nil
}

func redactURL(o *redis.Options) string {
	return o.Network + "://" + o.Addr
}

// allow runs one atomic check. A failure opens the fallback window and is
// logged once per window.
func (r *redisLimiter) allow(rl *rateLimit, key []byte) (bool, int64, error) {
	now := time.Now().UnixNano()
	if now < r.retryAfter.Load() {
		return false, 0, errRedisBackoff
	}
	interval := max(rl.interval/1000, 1)
	k := redisPrefix + rl.name + ":" + string(key)
	wait, err := gcraScript.Run(context.Background(), r.client, []string{k}, interval, rl.burst).Int64()
	if err != nil {
		if r.retryAfter.Swap(now+int64(redisBackoff)) < now {
			r.log.Printf("rate limit backend %s unreachable (%v); using the in-process limiter, retrying Redis in %v",
				r.url, err, redisBackoff)
		}
		return false, 0, err
	}
	return wait == 0, wait * 1000, nil
}

var errRedisBackoff = errors.New("redis rate limit backend in backoff")

func (r *redisLimiter) close() error { return r.client.Close() }
