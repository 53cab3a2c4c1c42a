"""Print the cgo flags that build the Go core against this interpreter.

    eval "$(python tools/cgoflags.py --server)"    # the server binary
    eval "$(python tools/cgoflags.py --extension)" # the _core extension (does not link libpython)
    eval "$(python tools/cgoflags.py)"             # go test binaries, run in place

The server binary names libpython by its soname only, with no search path: `runbolt`
puts the running interpreter's library directory on LD_LIBRARY_PATH (see
python/django_bolt/_libpython.py), so a wheel built here embeds whichever build of the
same Python minor the user has. Test binaries are never shipped and are run by `go
test` directly, so they carry an rpath to this interpreter's library.

The flags come from the running interpreter's sysconfig, never from a bare
pkg-config or python3-config on PATH, which may belong to another install.
"""

import shlex
import sys
import sysconfig

MODES = ("--server", "--extension", "--test")


def flags(mode: str = "--test") -> dict[str, str]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
    include = sysconfig.get_config_var("INCLUDEPY")
    libdir = sysconfig.get_config_var("LIBDIR")
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    if mode != "--extension" and not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        sys.exit(
            f"{sys.executable} has no shared libpython; building the django-bolt server needs a Python "
            "built with --enable-shared (with pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ...)"
        )
    ldflags = {
        "--server": f"-L{libdir} -lpython{version} -ldl -lm",
        "--extension": "",
        "--test": f"-L{libdir} -lpython{version} -ldl -lm -Wl,-rpath,{libdir}",
    }[mode]
    # NDEBUG as in CPython's own builds: without it the asserts in Python's inline headers
    # would carry this machine's include paths into the binaries.
    return {"CGO_ENABLED": "1", "CGO_CFLAGS": f"-I{include} -O2 -DNDEBUG", "CGO_LDFLAGS": ldflags}


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "--test"
    for key, value in flags(mode).items():
        print(f"export {key}={shlex.quote(value)}")
