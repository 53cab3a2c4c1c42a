"""Build the wheels users install: one per CPython minor version, tagged manylinux with
the glibc version its binaries really need, and checked before they are kept.

    python tools/wheels.py [--out dist] 3.11 3.12 3.13     # what `make wheels` runs
    python tools/wheels.py --out /tmp/w /usr/bin/python3.11

Each argument is an interpreter (a path, or a version found under pyenv or on PATH); it
must have a shared libpython. Run this with an interpreter that has auditwheel and wheel
installed (`make wheels` makes one under build/).

The platform tag comes from `auditwheel show` (the glibc symbol versions the binaries
use). `auditwheel repair` is not used: it removes libpython from the server binary's
needed libraries, which an extension module must not link but an executable that embeds
Python must (docs/architecture.md says how the library is found at run time).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "django_bolt"


@dataclass
class Interpreter:
    path: str
    version: str  # "3.11"
    ext_suffix: str  # ".cpython-311-x86_64-linux-gnu.so"
    soname: str  # "libpython3.11.so.1.0"
    base_prefix: str

    @classmethod
    def find(cls, spec: str) -> "Interpreter":
        path = spec if os.sep in spec else _locate(spec)
        probe = ("import sys, sysconfig; g = sysconfig.get_config_var; "
                 "print(f'{sys.version_info[0]}.{sys.version_info[1]}', g('EXT_SUFFIX'), g('INSTSONAME'), "
                 "g('Py_ENABLE_SHARED'), sys.base_prefix)")
        out = subprocess.run([path, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
        version, suffix, soname, shared, prefix = out
        if shared != "1":
            sys.exit(f"{path} has no shared libpython: build the wheels with a Python built with --enable-shared")
        return cls(path, version, suffix, soname, prefix)

    @property
    def tag(self) -> str:
        return "cp" + self.version.replace(".", "")


def _locate(version: str) -> str:
    home = Path.home() / ".pyenv" / "versions"
    found = sorted(glob.glob(str(home / f"{version}.*" / "bin" / f"python{version}")),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", Path(p).parents[1].name)])
    if found:
        return found[-1]
    on_path = shutil.which(f"python{version}")
    if on_path:
        return on_path
    sys.exit(f"no Python {version}: install it (pyenv install {version}) or give the interpreter's path")


def build(python: Interpreter, out: Path) -> Path:
    """Build, tag and check the wheel for one interpreter; returns its path in ``out``."""
    print(f"=== wheel for Python {python.version} ({python.path})", flush=True)
    # A stale build directory would put files of an earlier build into this wheel.
    for stale in glob.glob(str(ROOT / "build" / "lib.*")) + glob.glob(str(ROOT / "build" / "bdist.*")):
        shutil.rmtree(stale)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([python.path, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp, str(ROOT)], check=True)
        raw, = Path(tmp).glob(f"*-{python.tag}-{python.tag}-linux_x86_64.whl")
        platform = manylinux_tag(raw)
        tagged = subprocess.run([sys.executable, "-m", "wheel", "tags", "--remove", "--platform-tag", platform,
                                 str(raw)], capture_output=True, text=True, check=True).stdout.strip()
        out.mkdir(parents=True, exist_ok=True)
        final = out / tagged
        final.unlink(missing_ok=True)
        shutil.move(Path(tmp) / tagged, final)
    check(final, python)
    print(f"{final.name}: {final.stat().st_size / 1e6:.1f} MB", flush=True)
    return final


def manylinux_tag(wheel: Path) -> str:
    """The manylinux tag that the glibc symbol versions of the wheel's binaries allow."""
    shown = subprocess.run([sys.executable, "-m", "auditwheel", "show", str(wheel)], capture_output=True, text=True,
                           check=True).stdout
    print(shown, flush=True)
    match = re.search(r"constrains\s+the\s+platform\s+tag\s+to\s+\"(manylinux_\d+_\d+_x86_64)\"", shown)
    if not match:
        sys.exit(f"auditwheel show did not name the glibc version {wheel.name} needs:\n{shown}")
    return match.group(1)


def check(wheel: Path, python: Interpreter) -> None:
    """What ships: both binaries for this Python, no search path, no path of this machine,
    and every file of the package that the repository holds."""
    server = f"{PACKAGE}/bin/bolt-server"
    extension = f"{PACKAGE}/_core{python.ext_suffix}"
    problems = []
    with zipfile.ZipFile(wheel) as zf, tempfile.TemporaryDirectory() as tmp:
        names = set(zf.namelist())
        for name in (server, extension):
            if name not in names:
                problems.append(f"{name} is missing")
        others = [n for n in names if n.endswith(".so") and n != extension]
        if others:
            problems.append(f"native files of another build: {others}")
        problems += [f"{n} (from the repository) is missing" for n in _tracked_package_files() if n not in names]
        machine_paths = {str(ROOT), python.base_prefix, *_go_paths()}
        for name in (server, extension):
            if name not in names:
                continue
            path = Path(zf.extract(name, tmp))
            dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
            if "RPATH" in dynamic or "RUNPATH" in dynamic:
                problems.append(f"{name} has a library search path:\n{dynamic}")
            linked = re.findall(r"\(NEEDED\).*\[(.+)\]", dynamic)
            wanted = [python.soname] if name == server else []
            if [n for n in linked if n.startswith("libpython")] != wanted:
                problems.append(f"{name} links {linked}; expected libpython: {wanted}")
            data = path.read_bytes()
            problems += [f"{name} holds the build path {p}" for p in machine_paths if p.encode() in data]
    if problems:
        sys.exit(f"{wheel.name} is not fit to ship:\n  " + "\n  ".join(problems))


def _tracked_package_files() -> list[str]:
    """The files of the package that git tracks (none when this is not a git checkout)."""
    done = subprocess.run(["git", "ls-files", "-z", f"python/{PACKAGE}"], cwd=ROOT, capture_output=True)
    if done.returncode != 0:
        return []
    return [n.removeprefix("python/") for n in done.stdout.decode().split("\0")
            if n and (ROOT / n).is_file()]


def _go_paths() -> list[str]:
    out = subprocess.run(["go", "env", "GOROOT", "GOMODCACHE", "GOCACHE"], capture_output=True, text=True,
                         check=True).stdout.split()
    return [p for p in out if p]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the wheels go (default dist/)")
    parser.add_argument("pythons", nargs="+", help="interpreters: paths, or versions such as 3.11")
    args = parser.parse_args()
    interpreters = [Interpreter.find(spec) for spec in args.pythons]
    wheels = [build(python, args.out.resolve()) for python in interpreters]
    print("\n".join(f"{w}  {w.stat().st_size / 1e6:.1f} MB" for w in wheels))


if __name__ == "__main__":
    main()
