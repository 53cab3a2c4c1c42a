package pyhost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"djangobolt/protocol"
)

type (
	Request  = protocol.Request
	Response = protocol.Response
	Want     = protocol.Want
)

const (
	WantParams  = protocol.WantParams
	WantQuery   = protocol.WantQuery
	WantHeaders = protocol.WantHeaders
	WantBody    = protocol.WantBody
)

// newRequest lays out a request as the server does: params and headers are name/value
// lists.
func newRequest(handler int, method, path string, params, headers []string) *Request {
	r := &Request{Handler: handler}
	r.Begin([]byte(method), []byte(path))
	for _, s := range append(append([]string(nil), params...), headers...) {
		start := r.Mark()
		r.Strs = append(r.Strs, s...)
		r.EndString(start)
	}
	r.NParams = len(params) / 2
	return r
}

// testLogger passes the loop's messages to the test's log.
func testLogger(t *testing.T) *log.Logger { return log.New(t.Output(), "", 0) }

// runLoop creates a Loop and serves it with pyhost_loops.<serve> on the main thread
// while drive(l) runs on another goroutine; Stop follows drive. It returns what the
// Python function returned.
func runLoop(t *testing.T, serve string, drive func(l *Loop)) map[string]any {
	t.Helper()
	return runLoopLogging(t, serve, testLogger(t), drive)
}

// runLoopLogging is runLoop with the loop's messages going to logger.
func runLoopLogging(t *testing.T, serve string, logger *log.Logger, drive func(l *Loop)) map[string]any {
	t.Helper()
	l, err := NewLoop(logger)
	if err != nil {
		t.Fatal(err)
	}
	if l.FD() < 0 {
		t.Fatalf("FD() = %d", l.FD())
	}
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		defer l.Stop()
		drive(l)
	}()
	var out any
	onMain(t, 90*time.Second, func() { out, err = Call("pyhost_loops", serve, l.FD(), 60.0) })
	if err != nil {
		t.Fatalf("the event loop failed: %v", err)
	}
	select {
	case <-driven:
	case <-time.After(10 * time.Second):
		t.Fatal("the driving goroutine did not finish")
	}
	res, ok := out.(map[string]any)
	if !ok {
		t.Fatalf("serve returned %#v", out)
	}
	if res["timed_out"] == true {
		t.Fatal("the event loop ran into its safety timeout: Stop never arrived")
	}
	return res
}

// doWithin runs Do and reports false if no answer arrives in time (the call is then
// abandoned, its goroutine left waiting).
func doWithin(l *Loop, req *Request, resp *Response, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		l.Do(req, resp)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func pullWithin(l *Loop, id int, resp *Response, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		l.Pull(id, resp)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func headers(r *Response) map[string]string {
	m := map[string]string{}
	for i := range r.NumHeaders() {
		k, v := r.Header(i)
		m[string(k)] = string(v)
	}
	return m
}

func newResponse() *Response {
	r := &Response{}
	r.Reset()
	return r
}

// Handler ids of pyhost_loops.RUNNERS.
const (
	runEcho = iota
	runEchoLater
	runAsyncStream
	runEndlessSyncStream
	runFailingStream
	runSlowSyncStream
	runSlowAsyncStream
	runWhere
	runLateStream
	runOutcome
	runSlots
	runManyHeaders
)

func TestLoopAnswersEachWaitingGoroutine(t *testing.T) {
	for _, serve := range []string{"serve_dispatcher", "serve_lane"} {
		t.Run(serve, func(t *testing.T) { answerEachWaitingGoroutine(t, serve) })
	}
}

func answerEachWaitingGoroutine(t *testing.T, serve string) {
	const goroutines, perGoroutine = 48, 25
	runLoop(t, serve, func(l *Loop) {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				resp := &Response{}
				for j := range perGoroutine {
					path := fmt.Sprintf("/echo/%d/%d", g, j)
					handler, status := runEcho, 200
					if (g+j)%2 == 1 {
						handler, status = runEchoLater, 201
					}
					resp.Reset()
					req := newRequest(handler, "GET", path, nil, nil)
					if !doWithin(l, req, resp, 20*time.Second) {
						t.Errorf("%s: no answer", path)
						return
					}
					if resp.Err != nil || resp.Status != status || string(resp.Body) != path || resp.Stream != -1 {
						t.Errorf("%s: got status %d body %q stream %d err %v", path, resp.Status, resp.Body, resp.Stream, resp.Err)
					}
					if h := headers(resp); h["x-path"] != path {
						t.Errorf("%s: headers %v", path, h)
					}
				}
			})
		}
		wg.Wait()
	})
}

// While the loop waits for events, a request is run by the goroutine that brought it:
// handlers that finish at once and handlers that suspend (answered through exchange)
// alike. Without the lane, every request is started on the loop thread.
func TestLoopLaneRunsRequestsOnTheCallingThread(t *testing.T) {
	for _, tc := range []struct {
		serve string
		lane  bool
	}{{"serve_lane", true}, {"serve_dispatcher", false}} {
		t.Run(tc.serve, func(t *testing.T) {
			runLoop(t, tc.serve, func(l *Loop) {
				started := map[string]int{}
				for i := range 40 {
					path := fmt.Sprintf("/where/%d", i)
					handler, status := runWhere, 200
					if i%2 == 1 {
						handler, status, path = runEchoLater, 201, fmt.Sprintf("/later/%d", i)
					}
					resp := newResponse()
					if !doWithin(l, newRequest(handler, "GET", path, nil, nil), resp, 10*time.Second) {
						t.Fatalf("%s: no answer", path)
					}
					if resp.Err != nil || resp.Status != status || string(resp.Body) != path {
						t.Fatalf("%s: status %d body %q err %v", path, resp.Status, resp.Body, resp.Err)
					}
					if handler == runWhere {
						started[headers(resp)["x-started"]]++
					}
				}
				// One request at a time: the loop is idle whenever one arrives, except
				// for moments it spends finishing the previous suspended handler.
				if tc.lane && started["lane"] == 0 {
					t.Errorf("no request ran in the lane: %v", started)
				}
				if !tc.lane && started["lane"] != 0 {
					t.Errorf("requests ran outside the loop thread without the lane: %v", started)
				}
			})
		})
	}
}

// Every way a handler's first step can end gets the answer it gets on the loop thread,
// when the lane takes that step: a value, a fresh context per request, a done callback
// added during the step, a task cancelling itself, an exception, a suspension ended by
// asyncio.timeout, a stream.
func TestLoopLaneStepOutcomes(t *testing.T) {
	for _, serve := range []string{"serve_lane", "serve_dispatcher"} {
		t.Run(serve, func(t *testing.T) {
			const rounds = 5
			// The lane is taken only while the loop waits for events: give it the moment
			// it needs to finish what the previous request left (a stream's end, a timer).
			idle := func() { time.Sleep(5 * time.Millisecond) }
			res := runLoop(t, serve, func(l *Loop) {
				for i := range rounds {
					for _, tc := range []struct {
						kind, body string
						status     int
					}{
						{"value", "value", 200}, {"context", "unset", 200}, {"callback", "callback", 200},
						{"cancel", "", 500}, {"raise", "", 500}, {"timeout", "timed out", 200},
					} {
						path := fmt.Sprintf("/o/%s/%d", tc.kind, i)
						idle()
						resp := newResponse()
						if !doWithin(l, newRequest(runOutcome, "GET", path, nil, nil), resp, 10*time.Second) {
							t.Fatalf("%s: no answer", path)
						}
						if resp.Err != nil || resp.Status != tc.status || (tc.body != "" && string(resp.Body) != tc.body) {
							t.Errorf("%s: status %d body %q err %v, want %d %q", path, resp.Status, resp.Body, resp.Err,
								tc.status, tc.body)
						}
						if tc.kind == "value" && !strings.HasPrefix(headers(resp)["x-task"], "Task-") {
							t.Errorf("%s: the handler ran in task %q", path, headers(resp)["x-task"])
						}
					}
					path := fmt.Sprintf("/o/stream/%d", i)
					idle()
					resp := newResponse()
					if !doWithin(l, newRequest(runOutcome, "GET", path, nil, nil), resp, 10*time.Second) || resp.Stream < 0 {
						t.Fatalf("%s: no stream (status %d, err %v)", path, resp.Status, resp.Err)
					}
					var got strings.Builder
					for {
						chunk := newResponse()
						if !pullWithin(l, resp.Stream, chunk, 10*time.Second) {
							t.Fatalf("%s: pull: no answer", path)
						}
						if chunk.Status != protocol.Chunk {
							break
						}
						got.Write(chunk.Body)
					}
					if want := path + ":one" + path + ":two" + path + ":three"; got.String() != want {
						t.Errorf("%s: streamed %q", path, got.String())
					}
				}
			})
			// Requests are sent one at a time, to an idle loop.
			lane := map[string]int{}
			for _, s := range res["started"].([]any) {
				pair := s.([]any)
				if pair[1] == "lane" {
					lane[strings.Split(pair[0].(string), "/")[2]]++
				}
			}
			for _, kind := range []string{"value", "context", "callback", "cancel", "raise", "timeout", "stream"} {
				if serve == "serve_lane" && lane[kind] == 0 {
					t.Errorf("no %s request ran in the lane: %v", kind, lane)
				}
				if serve == "serve_dispatcher" && lane[kind] != 0 {
					t.Errorf("%s requests ran in the lane without one: %v", kind, lane)
				}
			}
			if fired := res["fired"].([]any); len(fired) != rounds {
				t.Errorf("done callbacks added during the first step ran for %v, want every /o/callback", fired)
			}
			logged := fmt.Sprint(res["logged"])
			if !strings.Contains(logged, "handler broke") || !strings.Contains(logged, "CancelledError") {
				t.Errorf("the failed and the cancelled task were not logged: %s", logged)
			}
		})
	}
}

// A result's first headers are read from its view, the others one call each: all of
// them arrive, in order, whoever answered.
func TestLoopAnswersWithManyHeaders(t *testing.T) {
	for _, serve := range []string{"serve_lane", "serve_dispatcher"} {
		runLoop(t, serve, func(l *Loop) {
			for i := range 3 {
				path := fmt.Sprintf("/many/%d", i)
				resp := newResponse()
				if !doWithin(l, newRequest(runManyHeaders, "GET", path, nil, nil), resp, 10*time.Second) ||
					resp.Err != nil || resp.Status != 200 {
					t.Fatalf("%s %s: status %d err %v", serve, path, resp.Status, resp.Err)
				}
				var got, want []string
				for j := range resp.NumHeaders() {
					k, v := resp.Header(j)
					got = append(got, string(k)+"="+string(v))
				}
				for j := range 12 {
					want = append(want, fmt.Sprintf("x-%d=%s:%d", j, path, j))
				}
				want = append(want, "x-last=ü")
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s: headers %q", serve, path, got)
				}
			}
		})
	}
}

// The lane builds its Request in C (request.c) without running Request.__init__: every
// slot must come out as the loop thread's call of the class makes it, whatever the route
// asked the server to send.
func TestLoopLaneBuildsTheLoopsRequest(t *testing.T) {
	full := *newRequest(runSlots, "PATCH", "/p/\xc3\xa9/\xff", []string{"id", "4 2", "name", "ünï"},
		[]string{"x-a", "1", "cookie", "a=b"})
	full.Query = []byte("a=1&b=%20")
	full.Body = []byte("pay\x00load\xff")
	spooled := full
	spooled.Body, spooled.BodyFile = []byte("/tmp/bolt-body-1234"), true
	authed := full
	authed.Context = map[string]any{"user_id": "42", "auth_claims": map[string]any{"n": json.Number("1")}}
	bare := *newRequest(runSlots, "GET", "/", nil, nil)
	cases := []struct {
		name string
		req  Request
		want Want
	}{
		{"everything", full, WantParams | WantQuery | WantHeaders | WantBody},
		{"nothing", full, 0},
		{"params and headers", full, WantParams | WantHeaders},
		{"spooled body", spooled, WantHeaders | WantBody},
		{"auth context", authed, WantParams | WantQuery | WantHeaders | WantBody},
		{"empty parts", bare, WantParams | WantQuery | WantHeaders | WantBody},
	}
	seen := map[string]map[string]string{}
	for _, serve := range []string{"serve_lane", "serve_dispatcher"} {
		runLoop(t, serve, func(l *Loop) {
			want := map[string]string{"serve_lane": "lane", "serve_dispatcher": "loop"}[serve]
			for _, tc := range cases {
				// Sent to an idle loop, the lane takes a request; a busy machine may keep
				// the loop thread from its selector for a moment, so a few tries.
				var resp *Response
				for try := 0; try < 20; try++ {
					time.Sleep(5 * time.Millisecond)
					req := tc.req
					req.Want = tc.want
					resp = newResponse()
					if !doWithin(l, &req, resp, 10*time.Second) || resp.Err != nil || resp.Status != 200 {
						t.Fatalf("%s %s: status %d err %v", serve, tc.name, resp.Status, resp.Err)
					}
					if headers(resp)["x-started"] == want {
						break
					}
				}
				if got := headers(resp)["x-started"]; got != want {
					t.Errorf("%s %s: the Request was built on the %s thread", serve, tc.name, got)
				}
				if seen[tc.name] == nil {
					seen[tc.name] = map[string]string{}
				}
				seen[tc.name][serve] = string(resp.Body)
			}
		})
	}
	for _, tc := range cases {
		lane, loop := seen[tc.name]["serve_lane"], seen[tc.name]["serve_dispatcher"]
		if lane != loop || strings.Contains(lane, "unset") {
			t.Errorf("%s: the lane built\n  %s\nthe loop thread\n  %s", tc.name, lane, loop)
		}
	}
}

// rawItem is pyhost_loops.describe(item) as JSON.
type rawItem struct {
	Handler      int               `json:"handler"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Params       map[string]string `json:"params"`
	Query        *string           `json:"query"`
	QueryType    string            `json:"query_type"`
	Headers      map[string]string `json:"headers"`
	Body         *string           `json:"body"`
	BodyType     string            `json:"body_type"`
	Context      map[string]any    `json:"context"`
	ContextTypes map[string]string `json:"context_types"`
}

func decodeItem(t *testing.T, resp *Response) rawItem {
	t.Helper()
	var it rawItem
	if resp.Err != nil {
		t.Errorf("response error: %v", resp.Err)
		return it
	}
	if err := json.Unmarshal(resp.Body, &it); err != nil {
		t.Errorf("item description %q: %v", resp.Body, err)
	}
	return it
}

func TestLoopRequestItems(t *testing.T) {
	full := *newRequest(3, "PATCH", "/p/\xc3\xa9/\xff", []string{"id", "4 2", "name", "ünï"},
		[]string{"x-a", "1", "content-type", "application/json"})
	full.Query = []byte("a=1&b=%20")
	full.Body = []byte("pay\x00load\xff")
	full.Context = map[string]any{
		"user_id": "42", "is_staff": true, "n": json.Number("12"), "f": json.Number("1.5"),
		"permissions": []string{"a", "b"}, "none": nil,
		"auth_claims": map[string]any{"nested": []any{json.Number("1"), "x", nil, false}},
	}
	cases := []struct {
		name  string
		want  Want
		check func(t *testing.T, it rawItem)
	}{
		{"everything", WantParams | WantQuery | WantHeaders | WantBody, func(t *testing.T, it rawItem) {
			if !reflect.DeepEqual(it.Params, map[string]string{"id": "4 2", "name": "ünï"}) {
				t.Errorf("params %v", it.Params)
			}
			if it.QueryType != "bytes" || it.Query == nil || *it.Query != "a=1&b=%20" {
				t.Errorf("query %s %v", it.QueryType, it.Query)
			}
			if !reflect.DeepEqual(it.Headers, map[string]string{"x-a": "1", "content-type": "application/json"}) {
				t.Errorf("headers %v", it.Headers)
			}
			if it.BodyType != "bytes" || it.Body == nil || *it.Body != "pay\x00load\u00ff" {
				t.Errorf("body %s %q", it.BodyType, deref(it.Body))
			}
		}},
		{"params and headers only", WantParams | WantHeaders, func(t *testing.T, it rawItem) {
			if it.Params == nil || it.Headers == nil {
				t.Errorf("params %v headers %v", it.Params, it.Headers)
			}
			if it.QueryType != "NoneType" || it.BodyType != "NoneType" {
				t.Errorf("query %s, body %s: unwanted parts crossed", it.QueryType, it.BodyType)
			}
		}},
		{"nothing", 0, func(t *testing.T, it rawItem) {
			if it.Params != nil || it.Headers != nil || it.QueryType != "NoneType" || it.BodyType != "NoneType" {
				t.Errorf("unwanted parts crossed: %+v", it)
			}
		}},
		{"empty wanted parts are empty, not None", WantParams | WantQuery | WantHeaders | WantBody, nil},
	}
	res := runLoop(t, "serve_raw", func(l *Loop) {
		for _, tc := range cases {
			req := full
			req.Want = tc.want
			if tc.check == nil {
				req = *newRequest(3, "PATCH", "/p/\xc3\xa9/\xff", nil, nil)
				req.Want = tc.want
				tc.check = func(t *testing.T, it rawItem) {
					if it.Params == nil || len(it.Params) != 0 || it.Headers == nil || len(it.Headers) != 0 ||
						it.QueryType != "bytes" || it.BodyType != "bytes" || deref(it.Query) != "" || deref(it.Body) != "" {
						t.Errorf("empty parts: %+v", it)
					}
					if it.Context != nil {
						t.Errorf("nil context became %v", it.Context)
					}
				}
			}
			resp := newResponse()
			if !doWithin(l, &req, resp, 10*time.Second) {
				t.Errorf("%s: no answer", tc.name)
				continue
			}
			it := decodeItem(t, resp)
			if it.Handler != 3 || it.Method != "PATCH" || it.Path != "/p/é/\ufffd" {
				t.Errorf("%s: handler %d method %q path %q", tc.name, it.Handler, it.Method, it.Path)
			}
			tc.check(t, it)
			if req.Context != nil {
				wantTypes := map[string]string{"user_id": "str", "is_staff": "bool", "n": "int", "f": "float",
					"permissions": "list", "none": "NoneType", "auth_claims": "dict"}
				if !reflect.DeepEqual(it.ContextTypes, wantTypes) {
					t.Errorf("%s: context types %v", tc.name, it.ContextTypes)
				}
				claims, _ := it.Context["auth_claims"].(map[string]any)
				if !reflect.DeepEqual(claims["nested"], []any{1.0, "x", nil, false}) || it.Context["n"] != 12.0 {
					t.Errorf("%s: context %v", tc.name, it.Context)
				}
			}
		}
	})
	if control := fmt.Sprint(res["control"]); control != "[[-1 -3 0]]" {
		t.Errorf("control items %s, want the stop alone", control)
	}
}

func TestLoopResultsForUnknownIDsAreIgnored(t *testing.T) {
	var logged bytes.Buffer // written by the loop thread, read once it has stopped
	res := runLoopLogging(t, "serve_raw", log.New(&logged, "", 0), func(l *Loop) {
		for i := range 3 {
			path := fmt.Sprintf("/ghost/%d", i)
			resp := newResponse()
			if !doWithin(l, newRequest(0, "GET", path, nil, nil), resp, 10*time.Second) {
				t.Errorf("%s: no answer", path)
				return
			}
			if it := decodeItem(t, resp); it.Path != path {
				t.Errorf("%s answered with %q", path, it.Path)
			}
		}
		// The loop still serves ordinary requests concurrently afterwards.
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				path := fmt.Sprintf("/after/%d", i)
				resp := newResponse()
				if !doWithin(l, newRequest(0, "GET", path, nil, nil), resp, 10*time.Second) {
					t.Errorf("%s: no answer", path)
					return
				}
				if it := decodeItem(t, resp); it.Path != path {
					t.Errorf("%s answered with %q", path, it.Path)
				}
			})
		}
		wg.Wait()
	})
	if errs := fmt.Sprint(res["errors"]); errs != "[]" {
		t.Errorf("exchange raised: %s", errs)
	}
	// Each ghost batch carries two results nobody waits for; both reach the server's logger.
	for _, rid := range []string{"1000000", "-5"} {
		want := "pyhost: dropped a result for request id " + rid + ", which is not in flight"
		if n := strings.Count(logged.String(), want+"\n"); n != 3 {
			t.Errorf("logged %d times %q, want 3; the log:\n%s", n, want, logged.String())
		}
	}
}

func TestLoopBadResultHeaderFailsOnlyThatRequest(t *testing.T) {
	runLoop(t, "serve_raw", func(l *Loop) {
		bad, good := newResponse(), newResponse()
		var wg sync.WaitGroup
		wg.Go(func() {
			if !doWithin(l, newRequest(0, "GET", "/badheader/1", nil, nil), bad, 10*time.Second) {
				t.Error("bad header: no answer")
			}
		})
		wg.Go(func() {
			if !doWithin(l, newRequest(0, "GET", "/fine", nil, nil), good, 10*time.Second) {
				t.Error("good request: no answer")
			}
		})
		wg.Wait()
		var pyErr *Error
		if e, ok := bad.Err.(*Error); ok {
			pyErr = e
		}
		if pyErr == nil || !strings.Contains(pyErr.Traceback, "TypeError") {
			t.Errorf("a non-str header value: Err %v, want a Python TypeError", bad.Err)
		}
		if it := decodeItem(t, good); it.Path != "/fine" {
			t.Errorf("the other request got %q", it.Path)
		}
	})
}

func TestLoopDuplicateResultDoesNotCrossRequests(t *testing.T) {
	runLoop(t, "serve_raw", func(l *Loop) {
		resp := newResponse()
		if !doWithin(l, newRequest(0, "GET", "/dup/1", nil, nil), resp, 10*time.Second) {
			t.Error("/dup/1: no answer")
			return
		}
		// Two requests in flight at once (Python holds both until it has two).
		var wg sync.WaitGroup
		for _, path := range []string{"/hold/a", "/hold/b"} {
			wg.Go(func() {
				resp := newResponse()
				if !doWithin(l, newRequest(0, "GET", path, nil, nil), resp, 5*time.Second) {
					t.Errorf("%s: no answer", path)
					return
				}
				if it := decodeItem(t, resp); it.Path != path {
					t.Errorf("%s got the answer for %q", path, it.Path)
				}
			})
		}
		wg.Wait()
	})
}

func TestLoopMalformedResultDoesNotStrandOthers(t *testing.T) {
	runLoop(t, "serve_raw", func(l *Loop) {
		var wg sync.WaitGroup
		malformed, good := newResponse(), newResponse()
		// Both are held until Python has both, so their results go out in one call.
		wg.Go(func() {
			if !doWithin(l, newRequest(0, "GET", "/hold/malformed/x", nil, nil), malformed, 5*time.Second) {
				t.Error("the malformed result's request never returned")
			} else if malformed.Err == nil {
				t.Error("the malformed result was not reported as an error")
			}
		})
		wg.Go(func() {
			if !doWithin(l, newRequest(0, "GET", "/hold/good", nil, nil), good, 5*time.Second) {
				t.Error("a well-formed result sent together with a malformed one was lost")
			}
		})
		wg.Wait()
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// A request whose auth context cannot be handed to Python (a JWT number out of float
// range) is answered with an error before Python runs; the other requests of the same
// batches are served as usual, and none is left waiting.
func TestLoopUnconvertibleContextFailsBeforePython(t *testing.T) {
	const n = 8
	errs := make([]error, n)
	answered := make([]bool, n)
	res := runLoop(t, "serve_raw", func(l *Loop) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req := newRequest(0, "GET", fmt.Sprintf("/good/%d", i), nil, nil)
				if i%2 == 1 {
					req = newRequest(0, "GET", fmt.Sprintf("/bad/%d", i), nil, nil)
					req.Context = map[string]any{"auth_claims": map[string]any{"big": json.Number("1e400")}}
				}
				resp := newResponse()
				if answered[i] = doWithin(l, req, resp, 10*time.Second); answered[i] {
					errs[i] = resp.Err
				}
			}(i)
		}
		wg.Wait()
	})
	for i := 0; i < n; i++ {
		switch {
		case !answered[i]:
			t.Errorf("request %d was left waiting", i)
		case i%2 == 1 && (errs[i] == nil || !strings.Contains(errs[i].Error(), "auth context")):
			t.Errorf("request %d: err %v, want the auth context's conversion error", i, errs[i])
		case i%2 == 0 && errs[i] != nil:
			t.Errorf("request %d: %v", i, errs[i])
		}
	}
	seen, _ := res["seen"].([]any)
	for _, p := range seen {
		if strings.HasPrefix(p.(string), "/bad/") {
			t.Errorf("Python ran %s, whose context could not be converted", p)
		}
	}
	if len(seen) != n/2 {
		t.Errorf("Python saw %v, want the %d good requests", seen, n/2)
	}
}

// Do waits no longer than the request's deadline: a held request (/hold/ waits for a
// second one that never comes) returns ErrNoAnswer in time, and the loop still serves
// the next request.
func TestLoopDoIsBoundedByTheDeadline(t *testing.T) {
	runLoop(t, "serve_raw", func(l *Loop) {
		req := newRequest(0, "GET", "/hold/never", nil, nil)
		req.Deadline = time.Now().Add(100 * time.Millisecond)
		start := time.Now()
		if err := l.Do(req, newResponse()); err != ErrNoAnswer {
			t.Errorf("Do = %v, want ErrNoAnswer", err)
		}
		if waited := time.Since(start); waited > 5*time.Second {
			t.Errorf("Do waited %v past a 100 ms deadline", waited)
		}
		resp := newResponse()
		if !doWithin(l, newRequest(0, "GET", "/fine", nil, nil), resp, 10*time.Second) || resp.Err != nil {
			t.Errorf("the next request: %v", resp.Err)
		}
	})
}

// A handler that answers with a stream after its request's deadline: the stream is
// closed (a started generator's finally runs) instead of filling a buffer nobody takes.
func TestLoopStreamAnsweredAfterTheDeadlineIsClosed(t *testing.T) {
	for _, serve := range []string{"serve_dispatcher", "serve_lane"} {
		t.Run(serve, func(t *testing.T) {
			res := runLoop(t, serve, func(l *Loop) {
				for _, path := range []string{"/late/sync", "/late/async"} {
					req := newRequest(runLateStream, "GET", path, nil, nil)
					req.Deadline = time.Now().Add(50 * time.Millisecond)
					if err := l.Do(req, newResponse()); err != ErrNoAnswer {
						t.Errorf("%s: Do = %v, want ErrNoAnswer", path, err)
					}
				}
				// Both streams open once their handlers return, then are closed.
				opened := func() int {
					l.streams.mu.Lock()
					defer l.streams.mu.Unlock()
					return l.streams.next
				}
				deadline := time.Now().Add(10 * time.Second)
				for time.Now().Before(deadline) && (opened() < 2 || l.streams.count() > 0) {
					time.Sleep(10 * time.Millisecond)
				}
				if n, left := opened(), l.streams.count(); n != 2 || left != 0 {
					t.Errorf("%d streams opened, %d still open: want 2, both closed", n, left)
				}
			})
			// The sync generator runs in a worker as soon as its stream opens: its finally
			// must run. The async one may be closed before its producer took a step, and a
			// generator that never started has no finally to run.
			if closed := fmt.Sprint(res["closed"]); !strings.Contains(closed, "/late/sync") {
				t.Errorf("generators finalised: %s, want /late/sync among them", closed)
			}
		})
	}
}

// After Close (the event loop is gone), waiting and new calls fail at once.
func TestLoopCloseFailsWaitingAndLaterCalls(t *testing.T) {
	l, err := NewLoop(testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() { errs <- l.Do(newRequest(0, "GET", "/never", nil, nil), newResponse()) }()
	l.Close()
	select {
	case err := <-errs:
		if err != ErrNoAnswer {
			t.Errorf("waiting Do = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting Do was not released by Close")
	}
	if err := l.Do(newRequest(0, "GET", "/later", nil, nil), newResponse()); err != ErrNoAnswer {
		t.Errorf("Do after Close = %v", err)
	}
}
