package middleware

import "testing"

func TestHostsFollowDjangosRules(t *testing.T) {
	h := NewHosts([]string{"api.example.com", ".example.org", "127.0.0.1", "[::1]"})
	for host, want := range map[string]bool{
		"api.example.com":      true,
		"API.Example.COM":      true,
		"api.example.com:8000": true,
		"api.example.com.":     true,
		"www.example.com":      false,
		"example.org":          true,
		"a.b.example.org":      true,
		"badexample.org":       false,
		"127.0.0.1:8000":       true,
		"[::1]:8000":           true,
		"[::1]":                true,
		"":                     false,
		"evil.com":             false,
	} {
		if got := h.Allowed([]byte(host)); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestAWildcardAllowsEverythingWithoutAChecker(t *testing.T) {
	if NewHosts([]string{"example.com", "*"}) != nil {
		t.Fatal(`"*" must disable the check`)
	}
	if NewHosts(nil) != nil {
		t.Fatal("no list (the test client's table) must disable the check")
	}
	var h *Hosts
	if !h.Allowed([]byte("anything")) {
		t.Fatal("a nil checker allows every host")
	}
}

func TestHostCheckAllocatesNothing(t *testing.T) {
	h := NewHosts([]string{"api.example.com", ".example.org"})
	host := []byte("x.example.org:8000")
	if n := testing.AllocsPerRun(100, func() { h.Allowed(host) }); n != 0 {
		t.Fatalf("%v allocations per check", n)
	}
}
