package server

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// wsPoller watches the open WebSockets of a hub with one epoll set, so that an idle
// socket has no goroutine waiting on it. Each socket is armed one-shot: when it has
// bytes (or hangs up) the poller hands it to a reader and forgets it until the reader
// has emptied it and arms it again. The epoll event carries the connection id, never a
// pointer: an event for a connection that has ended meanwhile finds nothing.
//
// The epoll descriptor is itself waited on by the Go runtime's poller (an epoll set is
// readable while it has events), so the poller goroutine parks like any network read
// instead of blocking a thread in epoll_wait, which would cost a thread hand-off per
// wake-up.
type wsPoller struct {
	file *os.File // the epoll set; closing it ends run
	raw  syscall.RawConn
	epfd int
	hub  *wsHub
}

const wsPollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func newWSPoller(h *wsHub) (*wsPoller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return nil, err
	}
	p := &wsPoller{file: os.NewFile(uintptr(epfd), "websocket-epoll"), epfd: epfd, hub: h}
	if p.raw, err = p.file.SyscallConn(); err != nil {
		_ = p.file.Close()
		return nil, err
	}
	go p.run()
	return p, nil
}

// watch arms c's socket for its next wake-up, adding it to the set the first time.
// It runs before any reader has c, or on the reader that has it.
func (p *wsPoller) watch(c *wsConn) error {
	if c.polled {
		return p.ctl(c, unix.EPOLL_CTL_MOD)
	}
	c.polled = true
	return p.ctl(c, unix.EPOLL_CTL_ADD)
}

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
	events := make([]unix.EpollEvent, 256)
	for {
		n := 0
		var werr error
		err := p.raw.Read(func(fd uintptr) bool {
			n, werr = unix.EpollWait(int(fd), events, 0)
			return n > 0 || (werr != nil && !errors.Is(werr, syscall.EINTR))
		})
		if err != nil {
			return // closed: the hub has shut down
		}
		if werr != nil {
			p.hub.logf("websocket: epoll_wait: %v", werr)
			return
		}
		for i := range events[:n] {
			id := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
			if c := p.hub.lookup(id); c != nil {
				dispatchRead(c, true)
			}
		}
	}
}

func (p *wsPoller) close() { _ = p.file.Close() }

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
