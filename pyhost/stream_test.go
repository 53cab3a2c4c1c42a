package pyhost

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"djangobolt/protocol"
)

// TestStreams drives the runtime's producers (pyhost_loops.RUNNERS) through Pull and
// CloseStream, as the server's response writer does.
func TestStreams(t *testing.T) {
	res := runLoop(t, "serve_dispatcher", func(l *Loop) {
		open := func(handler int, path string) int {
			resp := newResponse()
			if !doWithin(l, newRequest(handler, "GET", path, nil, nil), resp, 10*time.Second) {
				t.Errorf("%s: no answer", path)
				return -1
			}
			if resp.Err != nil || resp.Status != 200 || resp.Stream < 0 {
				t.Errorf("%s: status %d stream %d err %v", path, resp.Status, resp.Stream, resp.Err)
				return -1
			}
			return resp.Stream
		}
		pull := func(id int) (int, string) {
			resp := newResponse()
			if !pullWithin(l, id, resp, 10*time.Second) {
				t.Errorf("pull of stream %d: no answer", id)
				return -1, ""
			}
			if resp.Err != nil {
				t.Errorf("pull of stream %d: %v", id, resp.Err)
			}
			return resp.Status, string(resp.Body)
		}
		// drain pulls to the end: the bytes in order, and the final status.
		drain := func(id int) (string, int) {
			var got strings.Builder
			for {
				status, chunk := pull(id)
				if status != protocol.Chunk {
					return got.String(), status
				}
				if chunk == "" {
					t.Errorf("stream %d: an empty chunk", id)
				}
				got.WriteString(chunk)
			}
		}

		// An async generator: every chunk in order (a pull takes all that is ready), then the end.
		if sid := open(runAsyncStream, "/s/full"); sid >= 0 {
			if got, status := drain(sid); got != "/s/full:one/s/full:two/s/full:three" || status != protocol.End {
				t.Errorf("async stream: %q then status %d", got, status)
			}
			if l.streams.get(sid) != nil {
				t.Error("an ended stream is still in the table")
			}
		}
		// A fast endless sync generator stops at the high-water mark (parked), resumes
		// when its bytes are taken, and closing it while parked runs its finally.
		if sid := open(runEndlessSyncStream, "/s/endless"); sid >= 0 {
			s := l.streams.get(sid)
			parked := func() (buffered int, stopped bool) {
				s.mu.Lock()
				defer s.mu.Unlock()
				return len(s.pending), !s.producing
			}
			buffered, stopped := parked()
			for deadline := time.Now().Add(10 * time.Second); !stopped && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
				buffered, stopped = parked()
			}
			if !stopped || buffered < streamHighWater || buffered > streamHighWater+1024 {
				t.Errorf("an unread stream buffered %d bytes and is stopped=%v: it must stop at %d",
					buffered, stopped, streamHighWater)
			}
			total := 0
			for range 3 {
				status, chunk := pull(sid)
				if status != protocol.Chunk || strings.Trim(chunk, "x") != "" {
					t.Fatalf("endless pull %d", status)
				}
				total += len(chunk)
			}
			// The first pull takes what the parked stream held; the others get bytes
			// produced after it was resumed.
			if total <= buffered {
				t.Errorf("three pulls took %d bytes, what the parked stream held: it was not resumed", total)
			}
			l.CloseStream(sid)
		}
		// A sync generator running when the client goes: its next put finds the stream
		// gone and the producer closes it.
		if sid := open(runSlowSyncStream, "/s/slow-sync"); sid >= 0 {
			if status, chunk := pull(sid); status != protocol.Chunk || !strings.HasPrefix(chunk, "tick") {
				t.Errorf("slow sync pull %d %q", status, chunk)
			}
			l.CloseStream(sid)
		}
		// An async generator waiting (30 s) when the client goes is cancelled where it waits.
		if sid := open(runSlowAsyncStream, "/s/slow-async"); sid >= 0 {
			if status, chunk := pull(sid); status != protocol.Chunk || chunk != "tock" {
				t.Errorf("slow async pull %d %q", status, chunk)
			}
			l.CloseStream(sid)
		}
		// A generator that raises: the chunks before it, then Failed with the message.
		if sid := open(runFailingStream, "/s/fail"); sid >= 0 {
			if got, status := drain(sid); got != "fine" || status != protocol.Failed {
				t.Errorf("failing stream: %q then status %d", got, status)
			}
			resp := newResponse()
			l.Pull(sid, resp) // the stream is gone: it has ended
			if resp.Status != protocol.End {
				t.Errorf("pull after the failure: %d", resp.Status)
			}
		}
		// A stream nobody knows ends at once.
		if status, chunk := pull(987654); status != protocol.End || chunk != "" {
			t.Errorf("pull of an unknown stream: %d %q", status, chunk)
		}
		// Give the closes (run by the loop and the pool) time before the loop stops.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && l.streams.count() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		if n := l.streams.count(); n != 0 {
			t.Errorf("%d streams left in the table after every one ended or was closed", n)
		}
	})
	closed := fmt.Sprint(res["closed"])
	if closed != "[/s/endless /s/full /s/slow-async /s/slow-sync]" {
		t.Errorf("generators finalised: %s, want /s/endless, /s/full, /s/slow-async and /s/slow-sync", closed)
	}
	if logged := fmt.Sprint(res["logged"]); !strings.Contains(logged, "generator broke") {
		t.Errorf("the failing stream was not logged: %s", logged)
	}
}

func TestPullFailsWhenTheLoopCloses(t *testing.T) {
	l, err := NewLoop(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	id := l.streams.add(false)
	done := make(chan *Response, 1)
	go func() {
		resp := newResponse()
		l.Pull(id, resp)
		done <- resp
	}()
	l.Close()
	select {
	case resp := <-done:
		if resp.Status != protocol.Failed || resp.Err != ErrNoAnswer {
			t.Errorf("Pull after Close: status %d err %v", resp.Status, resp.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting Pull was not released by Close")
	}
}

// count is the number of streams not yet forgotten.
func (t *streams) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.open)
}
