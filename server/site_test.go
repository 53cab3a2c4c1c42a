package server

import "testing"

func TestSiteServesExactPathsAndPrefixesOnly(t *testing.T) {
	st := newSite(&SiteSpec{Route: RouteSpec{HandlerID: 7}, Exact: []string{"/", "/about/"}, Prefixes: []string{"/blog/"}})
	for path, want := range map[string]bool{
		"/": true, "/about/": true, "/about": false, "/blog/": true, "/blog/a-post/": true,
		"/blog": false, "/nothing": false, "/aboutx/": false,
	} {
		if got := st.serves([]byte(path)); got != want {
			t.Errorf("serves(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestSiteLookupAllocatesNothing(t *testing.T) {
	st := newSite(&SiteSpec{Exact: []string{"/about/"}, Prefixes: []string{"/blog/", "/shop/"}})
	paths := [][]byte{[]byte("/about/"), []byte("/shop/cart/"), []byte("/no/such/path")}
	if n := testing.AllocsPerRun(100, func() {
		for _, p := range paths {
			st.serves(p)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per lookup round", n)
	}
}
