"""Builds the Go parts into the package when a wheel is made.

A wheel of django-bolt-go holds two native files built against the building interpreter:
django_bolt/bin/bolt-server (./cmd/runbolt, linked to libpython by soname only) and the
extension django_bolt/_core (./cmd/core, not linked to libpython). Building needs Go and
a C compiler; installing a wheel needs neither. `make wheels` makes the wheels users
install; `pip install` of the sdist or a checkout comes through here too.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
from cgoflags import flags  # noqa: E402

GO_MINIMUM = (1, 26)
NEEDS = (
    "Building django-bolt-go from source needs Go >= 1.26 (https://go.dev/dl/) and a C compiler "
    "(gcc) on PATH, and downloads the Go modules it uses. To install without them, use a wheel: "
    "pip install --only-binary django-bolt-go django-bolt-go"
)


class BuildWithGo(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the binary `make build` puts in the source tree
        check_toolchain()
        package = Path(self.build_lib) / "django_bolt"
        (package / "bin").mkdir(parents=True, exist_ok=True)
        extension = package / f"_core{sysconfig.get_config_var('EXT_SUFFIX')}"
        python = f"Python {sys.version_info[0]}.{sys.version_info[1]} ({sys.executable})"
        go_build("[1/2] the server binary", ["-o", str(package / "bin" / "bolt-server"), "./cmd/runbolt"],
                 "--server", python)
        go_build("[2/2] the extension django_bolt._core", ["-buildmode=c-shared", "-o", str(extension), "./cmd/core"],
                 "--extension", python)
        extension.with_suffix(".h").unlink(missing_ok=True)


def check_toolchain():
    go = shutil.which("go")
    if go is None:
        sys.exit(f"error: the Go toolchain is not on PATH. {NEEDS}")
    version = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    found = re.match(r"go(\d+)\.(\d+)", version)
    if not found or tuple(map(int, found.groups())) < GO_MINIMUM:
        sys.exit(f"error: {go} is {version or 'an unknown version'}. {NEEDS}")
    cc = subprocess.run([go, "env", "CC"], capture_output=True, text=True).stdout.strip() or "gcc"
    if shutil.which(shlex.split(cc)[0]) is None:
        sys.exit(f"error: the C compiler {cc!r} that cgo uses is not on PATH. {NEEDS}")
    progress(f"using {version} ({go}) and {cc}")


def go_build(what, args, mode, python):
    env = {**os.environ, **flags(mode)}
    # -trimpath and -s -w: no path of this machine and no debug information in what ships.
    command = ["go", "build", "-v", "-trimpath", "-ldflags=-s -w", *args]
    progress(f"building {what} for {python}; the first build with an empty Go cache takes several minutes")
    progress("$ " + shlex.join(command))
    started = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env)
    if done.returncode != 0:
        sys.exit(f"error: building {what} failed (go build exited with {done.returncode}; its output is above)")
    progress(f"built {what} in {time.monotonic() - started:.0f} s")


def progress(message):
    print(f"django-bolt-go: {message}", file=sys.stderr, flush=True)


class BinaryDistribution(Distribution):
    """The wheel holds native code, so it is specific to the platform and Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithGo}, distclass=BinaryDistribution)
