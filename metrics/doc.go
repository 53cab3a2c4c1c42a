// Package metrics keeps the server's Prometheus metrics where every worker process of
// one server can read them, so that a scrape answered by any worker shows the whole
// server.
//
// Each worker process owns a Region: its counters (requests by route and status, a
// latency histogram per route) and its last published gauges (requests pending in
// Python, open connections, WebSockets). A worker started by the supervisor keeps its
// region in a file of the server's metrics directory, mapped into memory: counting a
// request is an atomic add, as for counters on the heap, and no process talks to
// another at scrape time. The worker answering a scrape reads every region of the
// directory with Gather and renders the sum with Render:
//
//	dir/
//	  owner            flocked by the supervisor for its life (CreateDir)
//	  lock             held shared by readers, exclusively while a region is retired
//	  4711.metrics     a live worker's region (it holds an flock on it for its life)
//	  4712.metrics
//	  retired.metrics  the counters of every worker that has exited
//
// Counters never go back: when a worker exits, the supervisor folds its region into
// retired.metrics (Retire), so the server's totals survive restarts and reloads and
// the directory does not grow. Gauges describe live processes only; a worker
// publishes its own every second and before it answers a scrape, so another
// worker's gauges are at most a second old.
//
// A supervisor killed with SIGKILL cannot remove its directory; the next server that
// creates one removes every metrics directory whose owner lock is free.
//
// A server running in one process without a directory (the in-process test client)
// uses an anonymous region, and a scrape reads that region alone.
package metrics
