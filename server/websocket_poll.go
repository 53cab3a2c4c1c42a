package server

import (
	"errors"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// wsPoller watches the open WebSockets of a hub with one epoll set, so that an idle
// socket has no goroutine waiting on it. Each socket is armed one-shot: when it has
// bytes (or hangs up) the poller hands it to a reader of wsReaders and forgets it until
// the reader has emptied it and arms it again. The epoll event carries the connection
// id, never a pointer: an event for a connection that has ended meanwhile finds nothing.
type wsPoller struct {
	epfd int
	hub  *wsHub
	stop chan struct{}
}

const wsPollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// The poller's wait ends this often to notice that the hub has shut down.
const wsPollWait = 500 * time.Millisecond

func newWSPoller(h *wsHub) (*wsPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &wsPoller{epfd: epfd, hub: h, stop: make(chan struct{})}
	go p.run()
	return p, nil
}

// add starts watching c's socket; arm watches it again after a read.
func (p *wsPoller) add(c *wsConn) error { return p.ctl(c, unix.EPOLL_CTL_ADD) }
func (p *wsPoller) arm(c *wsConn) error { return p.ctl(c, unix.EPOLL_CTL_MOD) }

func (p *wsPoller) ctl(c *wsConn, op int) error {
	if c.raw == nil {
		return errors.New("websocket: not a socket")
	}
	ev := unix.EpollEvent{Events: wsPollEvents, Fd: int32(uint32(c.id)), Pad: int32(uint32(c.id >> 32))}
	var err error
	// Control holds the descriptor open while the callback runs: a socket closed
	// meanwhile fails here, and its number cannot be another socket's yet.
	if cerr := c.raw.Control(func(fd uintptr) { err = unix.EpollCtl(p.epfd, op, int(fd), &ev) }); cerr != nil {
		return cerr
	}
	return err
}

func (p *wsPoller) run() {
	defer unix.Close(p.epfd)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, int(wsPollWait/time.Millisecond))
		select {
		case <-p.stop:
			return
		default:
		}
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			p.hub.logf("websocket: epoll_wait: %v", err)
			return
		}
		for i := range events[:n] {
			id := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
			if c := p.hub.lookup(id); c != nil {
				dispatchRead(c)
			}
		}
	}
}

// sweep runs the heartbeat of every open connection (wsConn.heartbeat) a few times per
// heartbeat interval, until stop is closed.
func (h *wsHub) sweep(stop chan struct{}) {
	every := min(h.settings.heartbeat, h.settings.clientTimeout) / 4
	tick := time.NewTicker(max(every, 10*time.Millisecond))
	defer tick.Stop()
	var open []*wsConn
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		h.mu.Lock()
		for _, c := range h.conns {
			open = append(open, c)
		}
		h.mu.Unlock()
		now := time.Now().UnixNano()
		for i, c := range open {
			c.heartbeat(now)
			open[i] = nil
		}
		open = open[:0]
	}
}
