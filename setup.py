"""Builds the Go server binary into the package when it is installed.

`pip install .` compiles ./cmd/runbolt against the installing interpreter's libpython
(flags from tools/cgoflags.py) and ships it as django_bolt/bin/bolt-server.
"""

import os
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
from cgoflags import flags  # noqa: E402


class BuildWithGo(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install uses the binary `make build` puts in the source tree
        target = Path(self.build_lib) / "django_bolt" / "bin" / "bolt-server"
        target.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **flags(extension=False)}
        try:
            subprocess.run(["go", "build", "-trimpath", "-o", str(target), "./cmd/runbolt"],
                           cwd=ROOT, env=env, check=True)
        except FileNotFoundError:
            sys.exit("django-bolt needs the Go toolchain (go >= 1.26) on PATH to build its server")


setup(cmdclass={"build_py": BuildWithGo})
