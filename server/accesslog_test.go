package server

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func requestTo(uri string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	return &ctx
}

func TestAccessLogPolicyOfALoggingConfig(t *testing.T) {
	half, slowMS := 0.0, 50.0
	st := &Settings{AccessLog: "json", AccessLogSample: 1, AccessLogSlowMS: 0}
	routes := []*route{
		{spec: RouteSpec{Path: "/plain"}},
		{spec: RouteSpec{Path: "/configured", AccessLog: &AccessLogPolicy{
			SkipPaths: []string{"/health"}, SkipStatusCodes: []int{404},
			SampleRate: &half, MinDurationMS: &slowMS, Level: "DEBUG", ErrorLevel: "CRITICAL",
		}}},
	}
	base, rules := logPolicies(st, routes)
	if rules[0] != nil {
		t.Fatal("a route without a LoggingConfig got a policy of its own")
	}
	p := rules[1]
	fast, slow := time.Millisecond, 60*time.Millisecond
	cases := []struct {
		name    string
		policy  *logPolicy
		uri     string
		status  int
		elapsed time.Duration
		want    string
	}{
		{"settings: success", &base, "/plain", 200, fast, "INFO"},
		{"settings: client error", &base, "/plain", 404, fast, "WARNING"},
		{"settings: server error", &base, "/plain", 500, fast, "ERROR"},
		{"skipped path, even an error", p, "/health?x=1", 500, slow, ""},
		{"skipped status", p, "/configured", 404, slow, ""},
		{"success faster than the threshold", p, "/configured", 200, fast, ""},
		{"slow success sampled away (rate 0)", p, "/configured", 200, slow, ""},
		{"client error: always", p, "/configured", 401, fast, "WARNING"},
		{"server error at the error level", p, "/configured", 503, fast, "CRITICAL"},
	}
	for _, tc := range cases {
		if got := tc.policy.lineLevel(requestTo(tc.uri), tc.status, tc.elapsed); got != tc.want {
			t.Errorf("%s: level %q, want %q", tc.name, got, tc.want)
		}
	}
	one := 1.0
	p = base.with(&AccessLogPolicy{SampleRate: &one, MinDurationMS: &slowMS, Level: "INFO", ErrorLevel: "ERROR"})
	if got := p.lineLevel(requestTo("/x"), 200, slow); got != "INFO" {
		t.Errorf("slow success with rate 1: level %q, want INFO", got)
	}
}

func TestAccessLogJSONStringsAreValidJSON(t *testing.T) {
	for _, s := range []string{"plain", `quo"te\back`, "ctl\x00\x1f\x7f", "bad utf8 \xff\xfe", "ünïcode ✓"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}
