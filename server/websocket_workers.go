package server

import "sync"

// The reads and writes of WebSockets run on goroutines kept parked between bursts.
// Starting a goroutine per burst (in an echo, per message) also grows a fresh stack
// through the read or write path each time, which cost more CPU than the work itself.
// A connection with bytes to read or messages to write gets an idle goroutine of the
// pool, or a new one when all are busy: a client slow to read holds its writer up to
// the write deadline and never delays the others, and a reader never waits for a
// client at all (websocket_read.go). Once done the goroutine parks again, and those
// beyond wsIdleWorkers end, so a broadcast to many sockets leaves few behind.
const wsIdleWorkers = 64

type wsPool struct {
	job  func(*wsConn)
	mu   sync.Mutex
	idle []chan *wsConn
}

var (
	// wsWriters write a connection's queue; c.writing is set while one does.
	wsWriters = &wsPool{job: (*wsConn).writeLoop}
	// wsReaders read a socket the poller found readable.
	wsReaders = &wsPool{job: (*wsConn).readReady}
)

// run does the pool's job for c on a pooled goroutine.
func (p *wsPool) run(c *wsConn) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		work := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		work <- c // buffered: a parked goroutine takes it
		return
	}
	p.mu.Unlock()
	go p.worker(make(chan *wsConn, 1), c)
}

func (p *wsPool) worker(work chan *wsConn, c *wsConn) {
	for {
		p.job(c)
		p.mu.Lock()
		if len(p.idle) >= wsIdleWorkers {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, work)
		p.mu.Unlock()
		c = <-work
	}
}
