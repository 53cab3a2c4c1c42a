"""Print the cgo flags that build the Go core against this interpreter.

    eval "$(python tools/cgoflags.py)"            # the server binary (links libpython)
    eval "$(python tools/cgoflags.py --extension)" # the _core extension (does not)

The flags come from the running interpreter's sysconfig, never from a bare
pkg-config or python3-config on PATH, which may belong to another install.
"""

import shlex
import sys
import sysconfig


def flags(extension: bool) -> dict[str, str]:
    include = sysconfig.get_config_var("INCLUDEPY")
    libdir = sysconfig.get_config_var("LIBDIR")
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    if not sysconfig.get_config_var("Py_ENABLE_SHARED") and not extension:
        sys.exit(f"{sys.executable} has no shared libpython; django-bolt needs a Python built with --enable-shared")
    ldflags = "" if extension else f"-L{libdir} -lpython{version} -ldl -lm -Wl,-rpath,{libdir}"
    return {"CGO_ENABLED": "1", "CGO_CFLAGS": f"-I{include} -O2", "CGO_LDFLAGS": ldflags}


if __name__ == "__main__":
    for key, value in flags("--extension" in sys.argv).items():
        print(f"export {key}={shlex.quote(value)}")
