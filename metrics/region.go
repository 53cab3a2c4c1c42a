package metrics

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LatencyBuckets are the upper bounds, in seconds, of the request duration histogram.
var LatencyBuckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Route names one series of request metrics.
type Route struct{ Method, Pattern string }

// Unmatched is the route requests that matched no route are counted under.
var Unmatched = Route{"*", "(unmatched)"}

// Process describes the worker a region belongs to.
type Process struct {
	Slot     int // the worker's slot in the supervisor; -1 for none
	Restarts int // how often the supervisor restarted this slot
	Started  time.Time
}

// Gauges are a process's current values, published into its region.
type Gauges struct {
	Pending         int64 // requests handed to Python and not answered yet
	OpenConnections int64
	WebSocketsOpen  int64
	// The WebSocket message counters live in the hub; they are published with the
	// gauges and summed as counters.
	WebSocketMessagesIn, WebSocketMessagesOut uint64
}

// The region layout, in 64-bit words: a header, the route names, then one block of
// counters per route. The names never change once the file is visible.
const magic = 0x31_6d_6c_6f_62 // "bolm1", little-endian

const (
	wMagic = iota
	wRoutes
	wNamesLen
	wSlot
	wRestarts
	wStarted
	wPending
	wOpen
	wWSOpen
	wWSIn
	wWSOut
	headerWords = 16
)

const (
	statusCodes = 600 // counters indexed by status code
	routeWords  = statusCodes + len(LatencyBuckets) + 2
	oCount      = statusCodes + len(LatencyBuckets)
	oSumMicros  = oCount + 1
)

// Region is one process's metrics. Observe and Publish may be called from any goroutine.
type Region struct {
	words  []uint64
	routes []Route
	first  int // word index of the first route's counters
	file   *os.File
	mapped []byte
}

// NewRegion keeps the metrics of routes in this process's memory only.
func NewRegion(routes []Route, p Process) *Region {
	routes = withUnmatched(routes)
	names := encodeNames(routes)
	words := make([]uint64, regionWords(len(routes), len(names)))
	r := &Region{words: words}
	r.init(routes, names, p)
	return r
}

// CreateRegion keeps the metrics of routes in a new file of dir, named for this
// process, where the other workers' Gather finds them. The file is locked for the life
// of the process: a region whose lock is free belongs to a process that has exited.
func CreateRegion(dir string, routes []Route, p Process) (*Region, error) {
	routes = withUnmatched(routes)
	names := encodeNames(routes)
	size := 8 * regionWords(len(routes), len(names))
	pid := strconv.Itoa(os.Getpid())
	tmp := filepath.Join(dir, "."+pid+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	fail := func(err error) (*Region, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("metrics: %s: %w", dir, err)
	}
	// Truncate makes a sparse file: status codes never answered take no space.
	if err := f.Truncate(int64(size)); err != nil {
		return fail(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fail(err)
	}
	mapped, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail(err)
	}
	r := &Region{words: asWords(mapped), file: f, mapped: mapped}
	r.init(routes, names, p)
	// Visible to readers only once complete.
	if err := os.Rename(tmp, filepath.Join(dir, pid+fileSuffix)); err != nil {
		unix.Munmap(mapped)
		return fail(err)
	}
	return r, nil
}

const fileSuffix = ".metrics"

// Observe counts one answered request of route index id (-1, or an index out of
// range: unmatched).
func (r *Region) Observe(id, status int, elapsed time.Duration) {
	if id < 0 || id >= len(r.routes)-1 {
		id = len(r.routes) - 1
	}
	c := r.words[r.first+id*routeWords : r.first+(id+1)*routeWords]
	if status >= 0 && status < statusCodes {
		atomic.AddUint64(&c[status], 1)
	}
	secs := elapsed.Seconds()
	for i, le := range LatencyBuckets {
		if secs <= le {
			atomic.AddUint64(&c[statusCodes+i], 1)
			break
		}
	}
	atomic.AddUint64(&c[oCount], 1)
	atomic.AddUint64(&c[oSumMicros], uint64(elapsed.Microseconds()))
}

// Publish stores the process's current gauges.
func (r *Region) Publish(g Gauges) {
	atomic.StoreUint64(&r.words[wPending], uint64(g.Pending))
	atomic.StoreUint64(&r.words[wOpen], uint64(g.OpenConnections))
	atomic.StoreUint64(&r.words[wWSOpen], uint64(g.WebSocketsOpen))
	atomic.StoreUint64(&r.words[wWSIn], g.WebSocketMessagesIn)
	atomic.StoreUint64(&r.words[wWSOut], g.WebSocketMessagesOut)
}

// Close unmaps the region and releases its lock; the file stays for Retire.
func (r *Region) Close() error {
	if r.file == nil {
		return nil
	}
	err := unix.Munmap(r.mapped)
	r.words, r.mapped = nil, nil
	return errors.Join(err, r.file.Close())
}

func (r *Region) init(routes []Route, names []byte, p Process) {
	w := r.words
	w[wMagic] = magic
	w[wRoutes] = uint64(len(routes))
	w[wNamesLen] = uint64(len(names))
	w[wSlot] = uint64(int64(p.Slot))
	w[wRestarts] = uint64(p.Restarts)
	w[wStarted] = uint64(p.Started.Unix())
	copy(asBytes(w[headerWords:]), names)
	r.routes = routes
	r.first = headerWords + (len(names)+7)/8
}

func withUnmatched(routes []Route) []Route {
	return append(append(make([]Route, 0, len(routes)+1), routes...), Unmatched)
}

func regionWords(routes, namesLen int) int {
	return headerWords + (namesLen+7)/8 + routes*routeWords
}

// encodeNames writes each route as method NUL pattern NUL.
func encodeNames(routes []Route) []byte {
	var b []byte
	for _, rt := range routes {
		b = append(append(append(append(b, rt.Method...), 0), rt.Pattern...), 0)
	}
	return b
}

func decodeNames(b []byte, n int) ([]Route, error) {
	parts := strings.Split(string(b), "\x00")
	if len(parts) != 2*n+1 || parts[2*n] != "" {
		return nil, errors.New("route names do not match the route count")
	}
	routes := make([]Route, n)
	for i := range routes {
		routes[i] = Route{parts[2*i], parts[2*i+1]}
	}
	return routes, nil
}

// asBytes views words as bytes, in the machine's byte order (regions never leave it).
func asBytes(w []uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), 8*len(w))
}

// asWords views page-aligned mapped memory as 64-bit words.
func asWords(b []byte) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}
