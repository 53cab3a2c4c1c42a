"""How ``runbolt`` hands the running interpreter's libpython to the server binary.

The binary names libpython only by its soname (``libpython3.11.so.1.0``) and carries no
search path: a wheel built on one machine must embed whichever CPython of that minor
version runs the project on another — pyenv's, Debian's, a virtualenv of either. So
before it execs the binary, ``runbolt`` checks that the binary was built for this
Python, finds the shared library through this interpreter's ``sysconfig``, and puts its
directory first on ``LD_LIBRARY_PATH``. Anything missing becomes one message that says
what to install, instead of a loader error.

``BOLT_LIBPYTHON`` (a file, or the directory holding it) overrides the search, for an
interpreter whose ``sysconfig`` does not say where its library lives.
"""

from __future__ import annotations

import os
import struct
import sys
import sysconfig
from pathlib import Path

OVERRIDE = "BOLT_LIBPYTHON"
# The user's own LD_LIBRARY_PATH, which the server restores for the project's code.
USER_LIBRARY_PATH = "BOLT_LD_LIBRARY_PATH"


class LaunchError(Exception):
    """The binary cannot embed this interpreter; the message says what to do."""


def library_environment(binary: Path, environ: dict[str, str]) -> dict[str, str]:
    """The variables the binary needs to load this interpreter's libpython."""
    wanted = _wanted_soname(binary)
    mine = soname()
    if wanted != mine:
        raise LaunchError(
            f"{binary} was built for Python {_version_of(wanted)} ({wanted}), but runbolt runs on "
            f"Python {_running()} ({sys.executable}), whose library is {mine}. Install the django-bolt-go "
            f"wheel made for this Python (`{sys.executable} -m pip install --force-reinstall django-bolt-go`), "
            "or rebuild the binary with this interpreter (`make build`)."
        )
    directory = find(environ)
    original = environ.get("LD_LIBRARY_PATH", "")
    return {
        "LD_LIBRARY_PATH": os.pathsep.join(p for p in (str(directory), original) if p),
        USER_LIBRARY_PATH: original,
    }


def soname() -> str:
    """The file name the loader looks for: ``libpython3.11.so.1.0`` (``3.13t`` when free-threaded)."""
    name = sysconfig.get_config_var("INSTSONAME") or ""
    if ".so" in name:
        return name
    version = sysconfig.get_config_var("LDVERSION") or sysconfig.get_config_var("VERSION")
    return f"libpython{version}.so.1.0"


def find(environ: dict[str, str]) -> Path:
    """The directory holding this interpreter's shared libpython."""
    name = soname()
    override = environ.get(OVERRIDE)
    if override:
        path = Path(override)
        if path.is_dir():
            path = path / name
        if path.is_file():
            if path.name != name:
                raise LaunchError(f"{OVERRIDE}={override} is not {name}, the library of Python {_running()}.")
            return path.parent
        raise LaunchError(
            f"{OVERRIDE}={override}: there is no {name} there. Point it at the shared library of "
            f"Python {_running()} ({sys.executable}), or unset it to use the one sysconfig names."
        )
    searched = candidates()
    for directory in searched:
        if (directory / name).is_file():
            return directory
    raise LaunchError(
        f"Python {_running()} ({sys.executable}) has no shared library {name} (looked in "
        f"{', '.join(map(str, searched))}). The django-bolt server embeds Python through that library. "
        f"Install it: on Debian or Ubuntu `apt-get install libpython{_running()}`, on Fedora "
        "`dnf install python3-libs`; with pyenv rebuild the version with "
        f"`PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install --force {sys.version.split()[0]}`. "
        f"If the library is elsewhere, set {OVERRIDE} to its path."
    )


def candidates() -> list[Path]:
    """Where this interpreter's build puts libpython, in the order the search tries them."""
    libdir = sysconfig.get_config_var("LIBDIR")
    multiarch = sysconfig.get_config_var("MULTIARCH")
    found: list[Path] = []
    for directory in (
        libdir,
        libdir and multiarch and os.path.join(libdir, multiarch),
        # A relocated install (copied after it was built) no longer matches its LIBDIR.
        os.path.join(sys.base_prefix, "lib"),
    ):
        if directory and Path(directory) not in found:
            found.append(Path(directory))
    return found


def needed(binary: Path) -> list[str]:
    """The DT_NEEDED entries of an ELF64 little-endian executable (what the loader will look for)."""
    data = binary.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise LaunchError(f"{binary} is not a 64-bit little-endian ELF executable")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic = [], None
    for i in range(phnum):
        kind, _, offset, vaddr, _, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if kind == 1:  # PT_LOAD
            loads.append((vaddr, offset, filesz))
        elif kind == 2:  # PT_DYNAMIC
            dynamic = (offset, filesz)
    if dynamic is None:
        return []
    entries = [struct.unpack_from("<qQ", data, dynamic[0] + i) for i in range(0, dynamic[1], 16)]
    strtab = next(value for tag, value in entries if tag == 5)  # DT_STRTAB, a virtual address
    base = next(offset + strtab - vaddr for vaddr, offset, size in loads if vaddr <= strtab < vaddr + size)
    return [data[base + value:data.index(b"\0", base + value)].decode() for tag, value in entries if tag == 1]


def _wanted_soname(binary: Path) -> str:
    names = [n for n in needed(binary) if n.startswith("libpython")]
    if len(names) != 1:
        raise LaunchError(f"{binary} does not link one libpython (it needs {needed(binary)}); rebuild it with `make build`")
    return names[0]


def _version_of(name: str) -> str:
    return name.removeprefix("libpython").split(".so")[0]


def _running() -> str:
    return sysconfig.get_config_var("LDVERSION") or f"{sys.version_info[0]}.{sys.version_info[1]}"
