// Package pyhost embeds CPython: it starts the interpreter, hands requests to the
// thread that runs the asyncio event loop, and converts between Go and Python values.
// It is the only package that includes Python.h; everything it exchanges with the
// server is a plain Go type of package protocol, so the server builds and tests
// without Python.
//
// # Threads, and who holds the GIL when
//
// A worker process has one interpreter and, at any moment, these threads:
//
//   - The loop thread: the process's main OS thread, locked to the main goroutine.
//     Initialize runs on it and leaves it holding the GIL; it then calls
//     django_bolt._runtime.boot.serve, which runs the asyncio loop there until Stop.
//     It is Python's main thread, so the loop, eager task starts and contextvars
//     behave as in any asyncio program. It gives the GIL up only where Python does
//     (waiting in the selector, a thread switch interval).
//   - Python's worker threads (a ThreadPoolExecutor of --workers threads): sync
//     handlers and the producers of sync-generator streams (stream.go) run there,
//     taking the GIL as any Python thread does.
//   - fasthttp's goroutines, one per connection. A request is either run by the
//     goroutine itself, in the lane (lane.go), or queued for the loop thread (Loop.Do):
//     the goroutine then blocks on its own channel while the loop thread does the
//     Python work. So goroutines never pile up on the GIL inside cgo, and no thread
//     state is created per request.
//
// # The lane
//
// The loop thread holds the lane lock (a C mutex) whenever it runs Python and lets go
// of it only while its selector waits for events. A goroutine that takes the lock with
// a try-lock owns the event loop's state until it lets go: it locks itself to its OS
// thread, takes the GIL with that thread's own thread state (made once per thread,
// never freed), builds the Request (request.c, without running its __init__) and starts
// the handler eagerly in C (lane.c), with the event loop as the thread's running loop.
// A handler that finishes at once is
// answered from there: no eventfd write, no wake-up of the loop thread or of the
// goroutine. One that suspends stays with the loop as a Task, continues on the loop
// thread, and is answered through exchange like a queued request; the lane wakes the
// loop whenever it left work there (a task, a callback, a timer). When the lock is
// taken (the loop is busy, or another goroutine is in the lane) the request is queued:
// the lane never waits for it. Neither side waits for the lane lock while holding the
// GIL, so the two locks cannot deadlock.
//
// In the extension module (the in-process test client, cmd/core) there is no loop
// thread: a Python test calls into Go with the GIL held, the server pipeline runs
// inline on that thread (server.TestApp), and Inline calls the handler back into
// Python on the same thread without releasing the GIL, so a Django TestCase's
// transaction is visible to it.
// No goroutine that needs Python is ever waited on while the GIL is held.
//
// # The batch protocol
//
// Items and results are tuples whose layout package protocol defines (with its
// Python twin, django_bolt/_runtime/protocol.py, and the lengths in bridge.h).
//
//  1. A goroutine's Do (or a stream's resume or close, the WebSocket calls) appends a call to
//     the queue under a mutex and, when the loop is asleep, writes the eventfd the
//     loop watches with add_reader. Wake-ups coalesce: one write wakes the loop for
//     every call queued until it drains.
//  2. The loop's reader callback calls django_bolt._core.exchange(results) until it
//     returns None. Each call first completes the finished results of the previous
//     round (copying status, headers and body into each waiting protocol.Response
//     and waking its goroutine), then takes every queued call and returns them as one
//     list of items. Returning None clears the eventfd and marks the loop asleep.
//  3. Python starts each handler eagerly; those that finish at once are answered in
//     the next exchange of the same drain, those that suspend are collected by done
//     callbacks and go out together at the end of the loop iteration.
//
// So one C→Go call carries a whole batch in each direction, and a queued request costs
// two thread hand-offs (goroutine → loop thread → goroutine), never a GIL hand-off.
//
// # Invariants
//
//   - Every call that is taken is completed exactly once: by its result, by an error
//     when its item cannot be built (an auth context that does not convert fails its
//     own request before Python runs, never the batch), or by Close when the loop is
//     gone. A result for an id not in flight is logged and dropped, never delivered
//     to another request.
//   - Do waits no longer than the request's Deadline. A call given up this way is
//     abandoned to the loop: the caller must not reuse its Request and Response, which
//     the loop may still read. Its answer, when it comes, is delivered to nobody; a
//     stream it opened is closed at once (its generator's finally runs).
//   - A request's strings are read from the buffer the server laid out
//     (protocol.Request) while its goroutine waits; they are copied once, into
//     Python objects.
//   - Results own no Python memory once completed: a Response is plain Go bytes.
//   - Python's empty stream chunks never cross: a Chunk is never empty, End alone
//     ends a stream.
package pyhost
