package pyhost

// The compiler and linker flags come from the interpreter that will run the project
// (CGO_CFLAGS / CGO_LDFLAGS set by the Makefile or setup.py from its sysconfig), never
// from a bare pkg-config, which may find another Python install on the machine.

/*
#include "bridge.h"
*/
import "C"
