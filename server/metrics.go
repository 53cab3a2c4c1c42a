package server

import (
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Prometheus metrics in the text exposition format, kept with atomics: per route, the
// requests by status code and a latency histogram.

var latencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type routeMetrics struct {
	method, pattern string
	byStatus        [600]atomic.Uint64 // index = status code
	buckets         [len(latencyBuckets)]atomic.Uint64
	count           atomic.Uint64
	sumMicros       atomic.Uint64
}

type metrics struct {
	routes    []*routeMetrics // by handler id
	unmatched routeMetrics
	restarts  string // restarts of this worker slot, from the supervisor
	started   time.Time
}

func newMetrics(routes []*route) *metrics {
	m := &metrics{started: time.Now(), restarts: os.Getenv("BOLT_WORKER_RESTARTS")}
	m.unmatched.method, m.unmatched.pattern = "*", "(unmatched)"
	m.routes = make([]*routeMetrics, len(routes))
	for i, r := range routes {
		if r != nil {
			m.routes[i] = &routeMetrics{method: r.spec.Method, pattern: r.spec.Path}
		}
	}
	if m.restarts == "" {
		m.restarts = "0"
	}
	return m
}

func (m *metrics) observe(id, status int, elapsed time.Duration) {
	rm := &m.unmatched
	if id >= 0 && id < len(m.routes) && m.routes[id] != nil {
		rm = m.routes[id]
	}
	if status >= 0 && status < len(rm.byStatus) {
		rm.byStatus[status].Add(1)
	}
	secs := elapsed.Seconds()
	for i, le := range latencyBuckets {
		if secs <= le {
			rm.buckets[i].Add(1)
			break
		}
	}
	rm.count.Add(1)
	rm.sumMicros.Add(uint64(elapsed.Microseconds()))
}

// serve answers the metrics endpoint.
func (m *metrics) serve(ctx *fasthttp.RequestCtx, s *Server) {
	b := make([]byte, 0, 16*1024)
	b = append(b, "# HELP bolt_requests_total Requests answered, by route and status.\n# TYPE bolt_requests_total counter\n"...)
	each := func(f func(*routeMetrics)) {
		for _, rm := range m.routes {
			if rm != nil {
				f(rm)
			}
		}
		f(&m.unmatched)
	}
	each(func(rm *routeMetrics) {
		for code := range rm.byStatus {
			if n := rm.byStatus[code].Load(); n > 0 {
				b = labels(append(b, "bolt_requests_total"...), rm)
				b = append(b, `,status="`...)
				b = strconv.AppendInt(b, int64(code), 10)
				b = append(b, `"} `...)
				b = strconv.AppendUint(b, n, 10)
				b = append(b, '\n')
			}
		}
	})
	b = append(b, "# HELP bolt_request_duration_seconds Time from request to response (streams: until the first byte).\n# TYPE bolt_request_duration_seconds histogram\n"...)
	each(func(rm *routeMetrics) {
		count := rm.count.Load()
		if count == 0 {
			return
		}
		var cum uint64
		for i, le := range latencyBuckets {
			cum += rm.buckets[i].Load()
			b = labels(append(b, "bolt_request_duration_seconds_bucket"...), rm)
			b = append(b, `,le="`...)
			b = strconv.AppendFloat(b, le, 'g', -1, 64)
			b = append(b, `"} `...)
			b = strconv.AppendUint(b, cum, 10)
			b = append(b, '\n')
		}
		b = labels(append(b, "bolt_request_duration_seconds_bucket"...), rm)
		b = append(b, `,le="+Inf"} `...)
		b = strconv.AppendUint(b, count, 10)
		b = append(b, '\n')
		b = labels(append(b, "bolt_request_duration_seconds_sum"...), rm)
		b = append(b, "} "...)
		b = strconv.AppendFloat(b, float64(rm.sumMicros.Load())/1e6, 'f', 6, 64)
		b = append(b, '\n')
		b = labels(append(b, "bolt_request_duration_seconds_count"...), rm)
		b = append(b, "} "...)
		b = strconv.AppendUint(b, count, 10)
		b = append(b, '\n')
	})
	gauge := func(name, help string, v int64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" gauge\n"+name+" "...)
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	gauge("bolt_python_pending", "Requests handed to Python and not answered yet (the load-shedding queue).", s.pending.Load())
	gauge("bolt_open_connections", "Connections being served.", int64(s.OpenConnections()))
	b = s.ws.appendMetrics(b)
	b = append(b, "# HELP bolt_worker_restarts_total Times the supervisor restarted this worker slot.\n# TYPE bolt_worker_restarts_total counter\nbolt_worker_restarts_total "+m.restarts+"\n"...)
	b = append(b, "# HELP bolt_process_start_time_seconds Start time of this worker, Unix seconds.\n# TYPE bolt_process_start_time_seconds gauge\nbolt_process_start_time_seconds "...)
	b = strconv.AppendInt(b, m.started.Unix(), 10)
	b = append(b, '\n')
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	ctx.SetBody(b)
}

// labels appends {method="..",route=".." — the caller adds more labels and the brace.
func labels(b []byte, rm *routeMetrics) []byte {
	b = append(b, `{method="`...)
	b = append(b, rm.method...)
	b = append(b, `",route=`...)
	return strconv.AppendQuote(b, rm.pattern)
}
