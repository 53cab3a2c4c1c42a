package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"djangobolt/middleware"
	"djangobolt/protocol"
	"djangobolt/router"
)

// Python is what the server needs from the interpreter side: run a request, pull and
// close streams. *pyhost.Loop and *pyhost.Inline implement it; tests may substitute
// their own.
type Python interface {
	Do(req *protocol.Request, resp *protocol.Response) error
	Pull(stream int, resp *protocol.Response)
	CloseStream(stream int)
}

// route is one compiled route.
type route struct {
	spec     RouteSpec
	want     protocol.Want
	cookies  bool                  // the plan reads cookies, so the cookie header must cross
	forms    bool                  // the plan parses form bodies: large multipart bodies are spooled to disk
	uploads  map[string]*FileLimit // File() limits by field, checked while a body spools
	pipeline *middleware.Pipeline
}

// Server serves one route table. Construct with New, then Serve; Shutdown stops it.
type Server struct {
	table    *Table
	router   *router.Router
	routes   []*route // by handler id
	shared   *middleware.Shared
	unrouted *middleware.Pipeline // finishes the answers no route owns (see handle)
	python   Python
	http     *fasthttp.Server
	errorLog *log.Logger
	obs      *observer
	ws       *wsHub       // nil without WebSocket routes
	pending  atomic.Int64 // requests handed to Python and not answered yet
	// handedOver is the number of streams written outside fasthttp (handover.go).
	handedOver atomic.Int64
	// answerTimeout bounds the wait for a handler's answer (BOLT_WRITE_TIMEOUT); 0: none.
	answerTimeout time.Duration
	ln            atomic.Pointer[listener]
	draining      atomic.Bool       // Shutdown began: every response closes its connection
	static        *staticFiles      // nil without static files
	docs          *docsAssets       // nil without docs
	site          *site             // nil unless the rest of the Django site is served
	hosts         *middleware.Hosts // nil: every Host is allowed
	known         knownHeads        // first path segments something may answer under
}

// New compiles the table: builds the router and each route's middleware pipeline.
// Every configuration error is reported here, naming the route. The server is a
// process of its own: NewWorker makes one worker of several.
func New(t *Table, py Python, logger *log.Logger) (*Server, error) {
	return NewWorker(t, py, logger, Process{})
}

// NewWorker is New for worker process p of a server that has several.
func NewWorker(t *Table, py Python, logger *log.Logger, p Process) (*Server, error) {
	shared, err := middleware.NewShared(t.Global, logger)
	if err != nil {
		return nil, err
	}
	s := &Server{table: t, router: router.New(), shared: shared, unrouted: shared.Default(), python: py, errorLog: logger,
		answerTimeout: seconds(t.Settings.WriteTimeout), hosts: middleware.NewHosts(t.Settings.AllowedHosts)}
	if s.static, err = newStaticFiles(t.Static, shared); err != nil {
		return nil, err
	}
	if s.docs, err = newDocsAssets(t.DocsAssets, shared.Precompressed()); err != nil {
		return nil, err
	}
	added := map[string]RouteSpec{} // by method and path shape, to name both sides of a conflict
	for _, spec := range t.Routes {
		if err := s.router.Add(spec.Method, spec.Path, spec.HandlerID); err != nil {
			if other, ok := added[routeShape(spec.Method, spec.Path)]; ok {
				return nil, fmt.Errorf("%w: handlers %s and %s; give one of them another path", err, other.Name, spec.Name)
			}
			return nil, fmt.Errorf("%w (handler %s)", err, spec.Name)
		}
		added[routeShape(spec.Method, spec.Path)] = spec
		if err := s.addRoute(spec); err != nil {
			return nil, err
		}
	}
	if t.Site != nil {
		// Reached through the site's URL space, never through the router.
		if err := s.addRoute(t.Site.Route); err != nil {
			return nil, err
		}
		s.site = newSite(t.Site)
	}
	if s.ws, err = newWSHub(t, py, shared, logger.Printf); err != nil {
		return nil, err
	}
	s.known = newKnownHeads(s)
	st := &t.Settings
	s.http = &fasthttp.Server{
		Handler:               s.serveHTTP,
		ExpectHandler:         s.expectContinue,
		ErrorHandler:          s.handleParseError,
		Name:                  "django-bolt",
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		MaxRequestBodySize:    st.MaxUploadSize,
		StreamRequestBody:     streamsBodies(t, s.routes),
		// Multipart bodies reach Python as sent, whatever their framing: parsing them
		// here would rebuild Content-Length bodies and answer their errors itself.
		DisablePreParseMultipartForm: true,
		// The whole request head must fit the read buffer; a larger one is answered 431.
		ReadBufferSize:   st.MaxHeaderBytes,
		ReadTimeout:      seconds(st.ReadTimeout),
		WriteTimeout:     seconds(st.WriteTimeout),
		IdleTimeout:      seconds(st.KeepAlive),
		DisableKeepalive: st.KeepAlive == 0,
		Concurrency:      st.MaxConnections,
		// Read and write buffers go back to pools while a handler or a stream runs and
		// between requests, so long streams and idle keep-alive connections hold
		// almost no memory (10,000 open streams: see bench/results/sse.md); reading
		// each request ahead keeps this from costing a read system call more per
		// request (readahead.go).
		ReduceMemoryUsage: true,
		// Nothing reads RequestCtx.Time: no clock read per request for it.
		LazyRequestTime: true,
		// A WebSocket outlives its upgrade's handler, so that fasthttp frees the
		// request context (its header buffers) instead of holding it as long as the
		// socket; the WebSocket code closes its connections itself.
		KeepHijackedConns: true,
		CloseOnShutdown:   true,
		ConnState:         connState,
		Logger:            fasthttpLog{logger},
	}
	if st.Metrics {
		if err := s.checkReserved("BOLT_METRICS_PATH", st.MetricsPath, added); err != nil {
			return nil, err
		}
	}
	if s.obs, err = newObserver(s, p); err != nil {
		return nil, err
	}
	return s, nil
}

// checkReserved fails when a path the server answers itself is also a route's: the
// route would never be reached.
func (s *Server) checkReserved(setting, path string, added map[string]RouteSpec) error {
	var ps router.Params
	for _, spec := range added {
		if id, ok := s.router.Lookup([]byte(spec.Method), []byte(path), &ps); ok {
			r := s.routes[id].spec
			return fmt.Errorf("%s is %s, which is also the path of route %s %s (handler %s); "+
				"set %s to a free path or move the route", setting, path, r.Method, r.Path, r.Name, setting)
		}
	}
	return nil
}

// routeShape is a route's method and path with parameter names left out: two routes of
// the same shape conflict.
func routeShape(method, path string) string {
	return method + " " + paramName.ReplaceAllString(path, "{")
}

var paramName = regexp.MustCompile(`\{[^}:]*`)

// needs is what a binding plan reads, as the server must send it to Python.
type needs struct {
	want    protocol.Want
	cookies bool // the cookie header must cross
	forms   bool // form bodies are parsed: large multipart bodies are spooled to disk
}

// planNeeds reads a binding plan's request parts ("params", "query", "headers",
// "cookies", and with a body "body", "form"); a WebSocket handshake has no body.
func planNeeds(parts []string, withBody bool) (needs, error) {
	var n needs
	for _, part := range parts {
		switch {
		case part == "params":
			n.want |= protocol.WantParams
		case part == "query":
			n.want |= protocol.WantQuery
		case part == "headers":
			n.want |= protocol.WantHeaders
		case part == "cookies":
			n.want |= protocol.WantHeaders
			n.cookies = true
		case part == "body" && withBody:
			n.want |= protocol.WantBody
		case part == "form" && withBody:
			n.want |= protocol.WantBody | protocol.WantHeaders
			n.forms = true
		default:
			return n, fmt.Errorf("unknown request part %q in the binding plan", part)
		}
	}
	return n, nil
}

// addRoute compiles one route's request needs and middleware pipeline.
func (s *Server) addRoute(spec RouteSpec) error {
	needs, err := planNeeds(spec.Needs, true)
	if err != nil {
		return fmt.Errorf("route %s %s: %w", spec.Method, spec.Path, err)
	}
	r := &route{spec: spec, want: needs.want, cookies: needs.cookies, forms: needs.forms}
	for i := range spec.Uploads {
		if r.uploads == nil {
			r.uploads = map[string]*FileLimit{}
		}
		r.uploads[spec.Uploads[i].Field] = &spec.Uploads[i]
	}
	var cfg middleware.RouteConfig
	if spec.Security != nil {
		cfg = *spec.Security
	}
	cfg.Route = spec.Method + " " + spec.Path
	if r.pipeline, err = middleware.NewPipeline(cfg, s.shared); err != nil {
		return err
	}
	for len(s.routes) <= spec.HandlerID {
		s.routes = append(s.routes, nil)
	}
	s.routes[spec.HandlerID] = r
	return nil
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	l := newListener(ln)
	l.full = s.full
	s.ln.Store(l)
	return s.http.Serve(l)
}

// Shutdown stops accepting at once, lets in-flight requests finish within timeout,
// answers requests arriving on open keep-alive connections with Connection: close,
// and releases shared resources.
func (s *Server) Shutdown(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	wsDone := make(chan struct{})
	go func() {
		s.ws.shutdown(ctx)
		close(wsDone)
	}()
	s.drain(deadline)
	err := s.http.ShutdownWithContext(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil // drain closed the listener already
	}
	<-wsDone
	s.shared.Close()
	s.obs.close(s)
	return err
}

// Handler exposes the request handler, for in-memory tests.
func (s *Server) Handler() fasthttp.RequestHandler { return s.serveHTTP }

// OpenConnections is the number of connections being served, streams included.
func (s *Server) OpenConnections() int32 {
	return s.http.GetOpenConnectionsCount() + int32(s.handedOver.Load())
}

// handleParseError answers requests fasthttp could not read.
func (s *Server) handleParseError(ctx *fasthttp.RequestCtx, err error) {
	if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
		middleware.WriteText(ctx, fasthttp.StatusRequestHeaderFieldsTooLarge, protocol.TextHeadersTooLarge)
		return
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		middleware.WriteText(ctx, fasthttp.StatusRequestTimeout, protocol.TextRequestTimeout)
		ctx.SetConnectionClose()
		return
	}
	if err == fasthttp.ErrBodyTooLarge {
		middleware.WriteJSON(ctx, fasthttp.StatusRequestEntityTooLarge, protocol.BodyTooLarge(s.table.Settings.MaxUploadSize))
		closeAfterDraining(ctx)
		return
	}
	if errors.Is(err, errBareLF) {
		middleware.WriteJSON(ctx, fasthttp.StatusBadRequest, protocol.BodyBareLF)
		return
	}
	// The cause stays in the server: fasthttp's message quotes the request bytes.
	middleware.WriteJSON(ctx, fasthttp.StatusBadRequest, protocol.BodyNotHTTP11)
}
