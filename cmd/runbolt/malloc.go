package main

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// bolt_tune_malloc sets glibc's thresholds; it reports 0 where there is no glibc
// (musl, macOS), whose allocators have no such knobs.
static int bolt_tune_malloc(int mmap_threshold, int trim_threshold) {
#ifdef __GLIBC__
	return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
	return 0;
#endif
}
*/
import "C"

import "strings"

// glibc's defaults hand memory back to the kernel as soon as 128 KiB are free at the
// top of the heap. A worker's interpreter builds each response body in one buffer that
// grows while it is encoded and is freed once Go has copied the body: with bodies of
// about 100 KiB the heap shrinks after every response and grows again for the next,
// and the kernel zeroes each page it hands out again (about a sixth of the CPU such a
// response costs). glibc raises both thresholds by itself (up to 32 and 64 MiB) once a
// block above 128 KiB is freed, but smaller bodies never get it there. A burst of large
// responses now leaves up to mallocTrimThreshold of free memory with the process, for
// the next ones.
const (
	mallocMmapThreshold = 16 << 20 // bodies up to this size come from the heap
	mallocTrimThreshold = 32 << 20 // free memory kept at the top of the heap
)

// tuneMalloc applies the thresholds above, before the interpreter allocates anything,
// unless the environment (os.Environ()) sets one of them or the top pad: the user's
// values then win. It reports whether it changed anything.
func tuneMalloc(environ []string) bool {
	if userTunesMalloc(environ) {
		return false
	}
	return C.bolt_tune_malloc(mallocMmapThreshold, mallocTrimThreshold) != 0
}

// userTunesMalloc reports whether the environment sets glibc's mmap or trim threshold
// or its top pad, as a tunable or through the older MALLOC_*_ variables.
func userTunesMalloc(environ []string) bool {
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch name {
		case "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_":
			return true
		case "GLIBC_TUNABLES":
			for _, t := range strings.Split(value, ":") {
				switch t, _, _ = strings.Cut(t, "="); t {
				case "glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad":
					return true
				}
			}
		}
	}
	return false
}
