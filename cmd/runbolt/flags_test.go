package main

import (
	"reflect"
	"strings"
	"testing"
)

// Workers are re-executed with o.args(): parsing them must give the same options back.
func TestFlagsRoundTrip(t *testing.T) {
	for _, argv := range [][]string{
		nil,
		{"--host", "127.0.0.1", "--port", "9000", "--processes", "3", "--workers", "5", "--no-admin",
			"--backlog", "64", "--shutdown-timeout", "2.5", "--keep-alive", "0", "--max-pending", "100"},
		{"--port", "0", "--keep-alive", "12.25"},
	} {
		o, err := parseFlags(argv)
		if err != nil {
			t.Fatalf("%v: %v", argv, err)
		}
		again, err := parseFlags(o.args())
		if err != nil {
			t.Fatalf("%v: re-parsing %v: %v", argv, o.args(), err)
		}
		if !reflect.DeepEqual(again, o) {
			t.Errorf("%v: round trip gave %+v, want %+v", argv, again, o)
		}
	}
}

func TestFlagsOverridesOnlyWhatWasGiven(t *testing.T) {
	o, _ := parseFlags(nil)
	if _, ok := o.overrides()["BOLT_KEEP_ALIVE"]; ok {
		t.Error("an absent --keep-alive overrides BOLT_KEEP_ALIVE")
	}
	o, _ = parseFlags([]string{"--keep-alive", "0", "--max-pending", "0"})
	if got := o.overrides(); got["BOLT_KEEP_ALIVE"] != 0.0 || got["BOLT_MAX_PENDING"] != 0 {
		t.Errorf("overrides %v", got)
	}
}

func TestFlagsRejectBadValues(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"--port", "70000"}, "--port"},
		{[]string{"--processes", "0"}, "--processes"},
		{[]string{"--workers", "0"}, "--workers"},
		{[]string{"--backlog", "0"}, "--backlog"},
		{[]string{"--shutdown-timeout", "-1"}, "--shutdown-timeout"},
		{[]string{"stray"}, "unexpected argument"},
	} {
		if _, err := parseFlags(tc.argv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %s", tc.argv, err, tc.want)
		}
	}
}
