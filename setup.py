"""Builds the Go server binary into the package when it is installed.

`pip install .` compiles ./cmd/runbolt against the installing interpreter's libpython
(flags from tools/cgoflags.py) and ships it as django_bolt/bin/bolt-server.
"""

import os
import subprocess
import sys
from pathlib import Path

import sysconfig

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
from cgoflags import flags  # noqa: E402


class BuildWithGo(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the binary `make build` puts in the source tree
        package = Path(self.build_lib) / "django_bolt"
        (package / "bin").mkdir(parents=True, exist_ok=True)
        extension = package / f"_core{sysconfig.get_config_var('EXT_SUFFIX')}"
        go_build(["-o", str(package / "bin" / "bolt-server"), "./cmd/runbolt"], extension=False)
        go_build(["-buildmode=c-shared", "-o", str(extension), "./cmd/core"], extension=True)
        extension.with_suffix(".h").unlink(missing_ok=True)


def go_build(args, extension):
    env = {**os.environ, **flags(extension=extension)}
    try:
        subprocess.run(["go", "build", "-trimpath", *args], cwd=ROOT, env=env, check=True)
    except FileNotFoundError:
        sys.exit("django-bolt needs the Go toolchain (go >= 1.26) on PATH to build its server")


class BinaryDistribution(Distribution):
    """The wheel holds native code, so it is specific to the platform and Python."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithGo}, distclass=BinaryDistribution)
