package server

import "sync"

// The writes of WebSocket messages run on goroutines kept parked between bursts.
// Starting a goroutine per burst (in an echo, per message) also grows a fresh stack
// through the write path each time, which cost more CPU than the write itself. A
// connection with messages waiting gets an idle writer, or a new one when all are
// busy: a client slow to read holds its writer up to the write deadline and never
// delays the others. Once the queue is written the writer parks again, and writers
// beyond wsIdleWriters end, so a broadcast to many sockets leaves few behind.
const wsIdleWriters = 64

type writerPool struct {
	mu   sync.Mutex
	idle []chan *wsConn
}

var wsWriters writerPool

// run writes c's queue on a writer goroutine; c.writing is already set.
func (p *writerPool) run(c *wsConn) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		work := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		work <- c // buffered: a parked writer takes it
		return
	}
	p.mu.Unlock()
	go p.writer(make(chan *wsConn, 1), c)
}

func (p *writerPool) writer(work chan *wsConn, c *wsConn) {
	for {
		c.writeLoop()
		p.mu.Lock()
		if len(p.idle) >= wsIdleWriters {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, work)
		p.mu.Unlock()
		c = <-work
	}
}
