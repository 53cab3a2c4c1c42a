package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Snapshot is the sum of the regions Gather read.
type Snapshot struct {
	Routes []*RouteCounts // sorted by pattern, then method; Unmatched last
	// WebSocket messages of every process, exited ones included.
	WebSocketMessagesIn, WebSocketMessagesOut uint64
	Workers                                   []Worker // live worker processes, by slot
}

// RouteCounts are one route's counters summed over processes.
type RouteCounts struct {
	Route
	ByStatus  [statusCodes]uint64
	Buckets   [len(LatencyBuckets)]uint64 // not cumulative
	Count     uint64
	SumMicros uint64
}

// Worker is one slot's live processes (two during a reload: the old one draining and
// its replacement), their gauges summed.
type Worker struct {
	Slot      int
	Processes int
	Restarts  int   // the highest of its processes
	Started   int64 // Unix seconds, the newest of its processes
	Gauges
}

// Gather sums own and, when dir is not empty, every other region in dir.
func Gather(dir string, own *Region) (*Snapshot, error) {
	g := newGathering()
	if dir == "" {
		g.add(own.words, own.routes, own.first, true)
		return g.snapshot(), nil
	}
	unlock, err := lockDir(dir, unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	defer unlock()
	files, err := filepath.Glob(filepath.Join(dir, "*"+fileSuffix))
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, path := range files {
		if err := g.addFile(path); err != nil {
			// A region that cannot be read is reported, the others still summed.
			errs = append(errs, err)
		}
	}
	return g.snapshot(), errors.Join(errs...)
}

// Retire folds the region of the exited process pid into dir's retired region and
// removes it, so the server's counters keep what the process counted. The process must
// have exited; a process without a region is no error.
func Retire(dir string, pid int) error {
	// A process that died while creating its region leaves only the unfinished file.
	os.Remove(filepath.Join(dir, fmt.Sprintf(".%d.tmp", pid)))
	path := filepath.Join(dir, fmt.Sprint(pid)+fileSuffix)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := lockDir(dir, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer unlock()
	g := newGathering()
	retired := filepath.Join(dir, "retired"+fileSuffix)
	if _, err := os.Stat(retired); err == nil {
		if err := g.addFile(retired); err != nil {
			return err
		}
	}
	if err := g.addFile(path); err != nil {
		return err
	}
	s := g.snapshot()
	if err := writeRetired(dir, retired, s); err != nil {
		return err
	}
	return os.Remove(path)
}

// writeRetired replaces the retired region with the counters of s.
func writeRetired(dir, path string, s *Snapshot) error {
	routes := make([]Route, 0, len(s.Routes))
	for _, rc := range s.Routes {
		if rc.Route != Unmatched {
			routes = append(routes, rc.Route)
		}
	}
	names := encodeNames(withUnmatched(routes))
	r := &Region{words: make([]uint64, regionWords(len(routes)+1, len(names)))}
	r.init(withUnmatched(routes), names, Process{Slot: -1})
	for i, rc := range s.Routes {
		if rc.Route == Unmatched {
			i = len(routes)
		}
		c := r.words[r.first+i*routeWords : r.first+(i+1)*routeWords]
		copy(c, rc.ByStatus[:])
		copy(c[statusCodes:], rc.Buckets[:])
		c[oCount], c[oSumMicros] = rc.Count, rc.SumMicros
	}
	r.words[wWSIn], r.words[wWSOut] = s.WebSocketMessagesIn, s.WebSocketMessagesOut
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, asBytes(r.words), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockDir takes the directory's lock (LOCK_SH or LOCK_EX); unlock releases it.
func lockDir(dir string, how int) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("metrics: lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

type gathering struct {
	routes      map[Route]*RouteCounts
	wsIn, wsOut uint64
	workers     map[int]*Worker
}

func newGathering() *gathering {
	return &gathering{routes: map[Route]*RouteCounts{}, workers: map[int]*Worker{}}
}

// addFile adds the region in path; its flock says whether its process is alive.
func (g *gathering) addFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // retired meanwhile
		}
		return fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	live := false
	switch err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		live = true
	case err != nil:
		return fmt.Errorf("metrics: %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if info.Size() < 8*headerWords || info.Size()%8 != 0 {
		return fmt.Errorf("metrics: %s is not a metrics region", path)
	}
	mapped, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("metrics: %s: %w", path, err)
	}
	defer unix.Munmap(mapped)
	words := asWords(mapped)
	n, namesLen := int(words[wRoutes]), int(words[wNamesLen])
	if words[wMagic] != magic || n < 1 || namesLen < 0 || len(words) != regionWords(n, namesLen) {
		return fmt.Errorf("metrics: %s is not a metrics region", path)
	}
	routes, err := decodeNames(mapped[8*headerWords:8*headerWords+namesLen], n)
	if err != nil {
		return fmt.Errorf("metrics: %s: %w", path, err)
	}
	g.add(words, routes, headerWords+(namesLen+7)/8, live)
	return nil
}

// add sums one region; only a live one's gauges count.
func (g *gathering) add(words []uint64, routes []Route, first int, live bool) {
	for i, rt := range routes {
		rc := g.routes[rt]
		if rc == nil {
			rc = &RouteCounts{Route: rt}
			g.routes[rt] = rc
		}
		c := words[first+i*routeWords : first+(i+1)*routeWords]
		for code := range rc.ByStatus {
			rc.ByStatus[code] += atomic.LoadUint64(&c[code])
		}
		for b := range rc.Buckets {
			rc.Buckets[b] += atomic.LoadUint64(&c[statusCodes+b])
		}
		rc.Count += atomic.LoadUint64(&c[oCount])
		rc.SumMicros += atomic.LoadUint64(&c[oSumMicros])
	}
	g.wsIn += atomic.LoadUint64(&words[wWSIn])
	g.wsOut += atomic.LoadUint64(&words[wWSOut])
	slot := int(int64(words[wSlot]))
	if !live {
		return
	}
	w := g.workers[slot]
	if w == nil {
		w = &Worker{Slot: slot}
		g.workers[slot] = w
	}
	w.Processes++
	w.Restarts = max(w.Restarts, int(words[wRestarts]))
	w.Started = max(w.Started, int64(words[wStarted]))
	w.Pending += int64(atomic.LoadUint64(&words[wPending]))
	w.OpenConnections += int64(atomic.LoadUint64(&words[wOpen]))
	w.WebSocketsOpen += int64(atomic.LoadUint64(&words[wWSOpen]))
}

func (g *gathering) snapshot() *Snapshot {
	s := &Snapshot{WebSocketMessagesIn: g.wsIn, WebSocketMessagesOut: g.wsOut}
	for _, rc := range g.routes {
		s.Routes = append(s.Routes, rc)
	}
	slices.SortFunc(s.Routes, func(a, b *RouteCounts) int {
		if (a.Route == Unmatched) != (b.Route == Unmatched) {
			if a.Route == Unmatched {
				return 1
			}
			return -1
		}
		return cmp.Or(strings.Compare(a.Pattern, b.Pattern), strings.Compare(a.Method, b.Method))
	})
	for _, w := range g.workers {
		s.Workers = append(s.Workers, *w)
	}
	slices.SortFunc(s.Workers, func(a, b Worker) int { return cmp.Compare(a.Slot, b.Slot) })
	return s
}
