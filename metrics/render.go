package metrics

import "strconv"

// ContentType is the Prometheus text exposition format's media type.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Render writes s in the Prometheus text exposition format. Request and WebSocket
// message counters and the gauges are the whole server's; restarts and start times are
// per worker slot (label worker).
func Render(s *Snapshot) []byte {
	b := make([]byte, 0, 16*1024)
	b = append(b, "# HELP bolt_requests_total Requests answered, by route and status.\n# TYPE bolt_requests_total counter\n"...)
	for _, rc := range s.Routes {
		for code, n := range rc.ByStatus {
			if n > 0 {
				b = labels(append(b, "bolt_requests_total"...), rc.Route)
				b = append(b, `,status="`...)
				b = strconv.AppendInt(b, int64(code), 10)
				b = append(b, `"} `...)
				b = strconv.AppendUint(b, n, 10)
				b = append(b, '\n')
			}
		}
	}
	b = append(b, "# HELP bolt_request_duration_seconds Time from request to response (streams: until the first byte).\n# TYPE bolt_request_duration_seconds histogram\n"...)
	for _, rc := range s.Routes {
		if rc.Count == 0 {
			continue
		}
		var cum uint64
		for i, le := range LatencyBuckets {
			cum += rc.Buckets[i]
			b = labels(append(b, "bolt_request_duration_seconds_bucket"...), rc.Route)
			b = append(b, `,le="`...)
			b = strconv.AppendFloat(b, le, 'g', -1, 64)
			b = append(b, `"} `...)
			b = strconv.AppendUint(b, cum, 10)
			b = append(b, '\n')
		}
		b = labels(append(b, "bolt_request_duration_seconds_bucket"...), rc.Route)
		b = append(b, `,le="+Inf"} `...)
		b = strconv.AppendUint(b, rc.Count, 10)
		b = append(b, '\n')
		b = labels(append(b, "bolt_request_duration_seconds_sum"...), rc.Route)
		b = append(b, "} "...)
		b = strconv.AppendFloat(b, float64(rc.SumMicros)/1e6, 'f', 6, 64)
		b = append(b, '\n')
		b = labels(append(b, "bolt_request_duration_seconds_count"...), rc.Route)
		b = append(b, "} "...)
		b = strconv.AppendUint(b, rc.Count, 10)
		b = append(b, '\n')
	}
	var total Gauges
	for _, w := range s.Workers {
		total.Pending += w.Pending
		total.OpenConnections += w.OpenConnections
		total.WebSocketsOpen += w.WebSocketsOpen
	}
	gauge := func(name, help string, v int64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" gauge\n"+name+" "...)
		b = strconv.AppendInt(b, v, 10)
		b = append(b, '\n')
	}
	gauge("bolt_python_pending", "Requests handed to Python and not answered yet (the load-shedding queue), all workers.", total.Pending)
	gauge("bolt_open_connections", "Connections being served, all workers.", total.OpenConnections)
	gauge("bolt_websockets_open", "WebSocket connections open, all workers.", total.WebSocketsOpen)
	b = append(b, "# HELP bolt_websocket_messages_total WebSocket messages, by direction.\n# TYPE bolt_websocket_messages_total counter\nbolt_websocket_messages_total{direction=\"in\"} "...)
	b = strconv.AppendUint(b, s.WebSocketMessagesIn, 10)
	b = append(b, "\nbolt_websocket_messages_total{direction=\"out\"} "...)
	b = strconv.AppendUint(b, s.WebSocketMessagesOut, 10)
	b = append(b, '\n')
	processes := 0
	for _, w := range s.Workers {
		processes += w.Processes
	}
	gauge("bolt_worker_processes", "Worker processes serving (more than the slots while a reload replaces them).", int64(processes))
	perWorker := func(name, kind, help string, v func(Worker) int64) {
		b = append(b, "# HELP "+name+" "+help+"\n# TYPE "+name+" "+kind+"\n"...)
		for _, w := range s.Workers {
			b = append(b, name+`{worker="`...)
			b = strconv.AppendInt(b, int64(w.Slot), 10)
			b = append(b, `"} `...)
			b = strconv.AppendInt(b, v(w), 10)
			b = append(b, '\n')
		}
	}
	perWorker("bolt_worker_restarts_total", "counter", "Times the supervisor restarted this worker slot.",
		func(w Worker) int64 { return int64(w.Restarts) })
	perWorker("bolt_process_start_time_seconds", "gauge", "Start time of the worker serving this slot, Unix seconds.",
		func(w Worker) int64 { return w.Started })
	return b
}

// labels appends {method="..",route=".." — the caller adds more labels and the brace.
func labels(b []byte, rt Route) []byte {
	b = append(b, `{method="`...)
	b = append(b, rt.Method...)
	b = append(b, `",route=`...)
	return strconv.AppendQuote(b, rt.Pattern)
}
