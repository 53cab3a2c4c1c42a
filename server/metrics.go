package server

import (
	"log"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/metrics"
)

// Process is what a worker process knows about its place in the server, from the
// supervisor that started it.
type Process struct {
	Slot     int // the worker's slot, 0 to --processes-1
	Restarts int // how often the supervisor restarted this slot
	// MetricsDir is the directory where every worker keeps its metrics, so that any
	// worker's metrics endpoint shows the whole server; "" keeps them in this process.
	MetricsDir string
}

// publishEvery is how old another worker's gauges can be in a scrape.
const publishEvery = time.Second

// meter counts requests into this process's metrics region (see package metrics) and
// answers the metrics endpoint with every worker's.
type meter struct {
	region   *metrics.Region
	dir      string
	index    []int // region route index by handler id
	errorLog *log.Logger
	stop     chan struct{}
}

func newMeter(s *Server, p Process) (*meter, error) {
	m := &meter{dir: p.MetricsDir, index: make([]int, len(s.routes)), errorLog: s.errorLog}
	var routes []metrics.Route
	for id, r := range s.routes {
		m.index[id] = -1
		if r != nil {
			m.index[id] = len(routes)
			routes = append(routes, metrics.Route{Method: r.spec.Method, Pattern: r.spec.Path})
		}
	}
	proc := metrics.Process{Slot: p.Slot, Restarts: p.Restarts, Started: time.Now()}
	if m.dir == "" {
		m.region = metrics.NewRegion(routes, proc)
		return m, nil
	}
	var err error
	if m.region, err = metrics.CreateRegion(m.dir, routes, proc); err != nil {
		return nil, err
	}
	m.stop = make(chan struct{})
	go m.publishLoop(s)
	return m, nil
}

func (m *meter) observe(id, status int, elapsed time.Duration) {
	if id >= 0 && id < len(m.index) {
		id = m.index[id]
	}
	m.region.Observe(id, status, elapsed)
}

// publish stores this process's gauges in its region.
func (m *meter) publish(s *Server) {
	open, in, out := s.ws.counts()
	m.region.Publish(metrics.Gauges{
		Pending: s.pending.Load(), OpenConnections: int64(s.OpenConnections()),
		WebSocketsOpen: open, WebSocketMessagesIn: in, WebSocketMessagesOut: out,
	})
}

func (m *meter) publishLoop(s *Server) {
	t := time.NewTicker(publishEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			m.publish(s)
		case <-m.stop:
			return
		}
	}
}

// serve answers the metrics endpoint with the whole server's metrics.
func (m *meter) serve(ctx *fasthttp.RequestCtx, s *Server) {
	m.publish(s)
	snap, err := metrics.Gather(m.dir, m.region)
	if err != nil {
		// What could be read is still worth answering; the log says what was missed.
		m.errorLog.Print(err)
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType(metrics.ContentType)
	ctx.SetBody(metrics.Render(snap))
}

// close stops publishing. The region stays mapped (a request finishing late still
// counts into it) and locked until the process exits; the supervisor retires it then.
func (m *meter) close(s *Server) {
	if m.stop != nil {
		close(m.stop)
		m.publish(s)
	}
}
