package middleware

import (
	"testing"
	"time"
)

func TestSharedClose(t *testing.T) {
	s, err := NewShared(GlobalConfig{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	mustPipeline(t, s, RouteConfig{Middleware: []MiddlewareConfig{{Type: "rate_limit", RPS: 1}}})
	done := make(chan struct{})
	go func() { _ = s.Close(); _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop the janitor")
	}
	idle, _ := NewShared(GlobalConfig{}, quiet)
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
}
