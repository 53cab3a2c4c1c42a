package middleware

import (
	"fmt"
	"log"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Shared is the process-wide state every Pipeline uses: the global
// configuration, the rate-limit bucket store (local, and Redis when
// configured), the response compressor and the server's logger. Create one
// with NewShared, build every route's Pipeline from it, and Close it at
// shutdown.
type Shared struct {
	corsOrigins    []string
	corsRegexes    []string
	cors           *corsPolicy
	trustedProxies []netip.Prefix
	local          *localStore
	redis          *redisLimiter
	comp           *compressor

	nextRoute   atomic.Uint32
	janitorOnce sync.Once
	stop        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once
}

// NewShared validates the global configuration. A redis:// backend is not
// contacted here: while it is unreachable the local limiter stands in.
// logger (the server's error log) receives what the middleware has to report
// at run time: Redis unreachable, the bucket table full.
func NewShared(cfg GlobalConfig, logger *log.Logger) (*Shared, error) {
	s := &Shared{
		local: newLocalStore(defaultMaxBuckets, logger),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for _, o := range cfg.CORSAllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return nil, fmt.Errorf("cors_allowed_origins: %w", err)
		}
	}
	s.corsOrigins = cfg.CORSAllowedOrigins
	if cfg.CORS != nil {
		p, err := newCORS("(project-wide)", "CORS settings", *cfg.CORS, nil, nil)
		if err != nil {
			return nil, err
		}
		s.cors = p
		s.corsRegexes = cfg.CORS.OriginRegexes
	}
	for _, tp := range cfg.TrustedProxies {
		p, err := parseProxy(tp)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is neither an IP nor a CIDR; write e.g. \"10.0.0.1\" or \"10.0.0.0/8\"", tp)
		}
		s.trustedProxies = append(s.trustedProxies, p)
	}
	if cfg.RateLimitBackend != "" {
		if !strings.HasPrefix(cfg.RateLimitBackend, "redis://") && !strings.HasPrefix(cfg.RateLimitBackend, "rediss://") && !strings.HasPrefix(cfg.RateLimitBackend, "unix://") {
			return nil, fmt.Errorf("rate_limit_backend: %q is not supported; leave it empty for in-process limits or give a redis:// URL", cfg.RateLimitBackend)
		}
		r, err := newRedisLimiter(cfg.RateLimitBackend, logger)
		if err != nil {
			return nil, fmt.Errorf("rate_limit_backend: %v; write e.g. \"redis://localhost:6379/0\"", err)
		}
		s.redis = r
	}
	if cfg.Compression != nil {
		c, err := newCompressor(cfg.Compression)
		if err != nil {
			return nil, err
		}
		s.comp = c
	}
	return s, nil
}

// Default is the pipeline of the answers no route owns (no route, 405, static
// files, a refused Host): the project-wide CORS policy and compression, no checks.
func (s *Shared) Default() *Pipeline {
	return &Pipeline{cors: s.cors, comp: s.comp}
}

// Precompressed finishes answers compressed ahead of time, or meant to stay as they
// are (the docs UIs' files): the project-wide CORS headers, no compression.
func (s *Shared) Precompressed() *Pipeline {
	return &Pipeline{cors: s.cors}
}

func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// startJanitor runs the idle-bucket sweep only once some route rate-limits.
func (s *Shared) startJanitor() {
	s.janitorOnce.Do(func() {
		go func() {
			defer close(s.done)
			t := time.NewTicker(janitorEvery)
			defer t.Stop()
			for {
				select {
				case <-s.stop:
					return
				case <-t.C:
					s.local.sweep()
				}
			}
		}()
	})
}

// Close stops the background sweep and closes the Redis client. Pipelines
// must not be used afterwards.
func (s *Shared) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		started := true
		s.janitorOnce.Do(func() { started = false })
		if started {
			<-s.done
		}
		if s.redis != nil {
			err = s.redis.close()
		}
	})
	return err
}
