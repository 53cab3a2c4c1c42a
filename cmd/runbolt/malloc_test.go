package main

import "testing"

func TestUserTunesMalloc(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{nil, false},
		{[]string{"PATH=/usr/bin", "HOME=/root"}, false},
		{[]string{"MALLOC_TRIM_THRESHOLD_=1048576"}, true},
		{[]string{"MALLOC_MMAP_THRESHOLD_=65536"}, true},
		{[]string{"MALLOC_TOP_PAD_=0"}, true},
		{[]string{"MALLOC_ARENA_MAX=2"}, false}, // arenas only: the thresholds are still ours
		{[]string{"GLIBC_TUNABLES=glibc.malloc.trim_threshold=1048576"}, true},
		{[]string{"GLIBC_TUNABLES=glibc.rtld.nns=8:glibc.malloc.mmap_threshold=65536"}, true},
		{[]string{"GLIBC_TUNABLES=glibc.malloc.arena_max=2"}, false},
		{[]string{"X_GLIBC_TUNABLES=glibc.malloc.trim_threshold=1"}, false},
	} {
		if got := userTunesMalloc(tc.env); got != tc.want {
			t.Errorf("userTunesMalloc(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

func TestTuneMallocLeavesTheUsersSettings(t *testing.T) {
	if tuneMalloc([]string{"MALLOC_TRIM_THRESHOLD_=1048576"}) {
		t.Fatal("tuneMalloc overrode the user's MALLOC_TRIM_THRESHOLD_")
	}
}
