// Command sseload holds many concurrent server-sent-event streams open against one
// server and reports what they received: the scale test of streaming responses.
//
//	go run ./bench/sseload -url http://127.0.0.1:8000/v1/chat/completions -clients 10000 -pid <server pid>
//
// Each client POSTs a streaming chat completion (n chunks, delay between them), reads
// events until "data: [DONE]", and counts them. The run is bounded by -timeout. With
// -pid, the server's peak resident memory (VmHWM) is read from /proc at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type result struct {
	Clients     int     `json:"clients"`
	Completed   int64   `json:"completed"`
	Errors      int64   `json:"errors"`
	Messages    int64   `json:"messages"`
	Seconds     float64 `json:"seconds"`
	MessagesPS  float64 `json:"messages_per_second"`
	PeakRSSMB   float64 `json:"server_peak_rss_mb,omitempty"`
	FirstError  string  `json:"first_error,omitempty"`
	OpenAtPeak  int64   `json:"open_streams_at_peak"`
	ConnectTime float64 `json:"seconds_to_open_all"`
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8000/v1/chat/completions", "streaming endpoint (POST)")
	clients := flag.Int("clients", 10000, "concurrent streams")
	chunks := flag.Int("chunks", 10, "events per stream")
	delay := flag.Int("delay-ms", 1000, "milliseconds between events")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on the whole run")
	pid := flag.Int("pid", 0, "server pid whose peak RSS to report (0: none)")
	flag.Parse()

	raiseFileLimit()
	body, _ := json.Marshal(map[string]any{
		"model": "bench", "messages": []map[string]string{{"role": "user", "content": "hi"}},
		"stream": true, "n_chunks": *chunks, "delay_ms": *delay,
	})
	transport := &http.Transport{
		MaxIdleConnsPerHost: *clients, MaxConnsPerHost: 0, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	}
	client := &http.Client{Transport: transport}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var r result
	r.Clients = *clients
	var open, peak atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	var opened sync.WaitGroup
	opened.Add(*clients)
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(opened.Done)
			defer once()
			n, err := stream(ctx, client, *url, body, func() {
				now := open.Add(1)
				for {
					p := peak.Load()
					if now <= p || peak.CompareAndSwap(p, now) {
						break
					}
				}
				once()
			})
			if n > 0 || err == nil {
				open.Add(-1)
			}
			atomic.AddInt64(&r.Messages, int64(n))
			if err != nil {
				atomic.AddInt64(&r.Errors, 1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			atomic.AddInt64(&r.Completed, 1)
		}()
	}
	opened.Wait()
	r.ConnectTime = time.Since(start).Seconds()
	wg.Wait()
	r.Seconds = time.Since(start).Seconds()
	r.MessagesPS = float64(r.Messages) / r.Seconds
	r.OpenAtPeak = peak.Load()
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	if *pid > 0 {
		r.PeakRSSMB = peakRSS(*pid)
	}
	out, _ := json.MarshalIndent(r, "", "  ")
	fmt.Println(string(out))
	if r.Errors > 0 {
		os.Exit(1)
	}
}

// stream runs one client; it calls opened once the response headers arrived.
func stream(ctx context.Context, c *http.Client, url string, body []byte, opened func()) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	opened()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		if line == "data: [DONE]" {
			return n, nil
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return n, err
	}
	return n, fmt.Errorf("stream ended without [DONE] after %d events", n)
}

func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

func peakRSS(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
