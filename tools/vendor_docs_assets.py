"""Refresh the documentation UIs shipped in ``django_bolt/openapi/assets/``.

The docs pages (Swagger UI, Redoc, Scalar, RapiDoc, Stoplight Elements) load
their scripts and styles from the package itself, so they work without
internet access. This script fetches each UI at the pinned version from the
npm registry (``npm pack``) and copies the few files a page needs, with the
package's licence, into the assets directory::

    python tools/vendor_docs_assets.py            # every UI at its pinned version
    python tools/vendor_docs_assets.py swagger-ui # one UI

To move a UI to another version, change it in ``ASSETS`` in
``django_bolt/openapi/assets.py`` (the single list of pins, which the
plugins read too), run this script and commit the files it wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

from django_bolt.openapi.assets import ASSETS, ASSETS_DIR  # noqa: E402

# A package that ships no licence file: its licence as package.json declares it.
MIT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def vendor(name: str) -> None:
    asset = ASSETS[name]
    target = ASSETS_DIR / asset.directory
    for old in ASSETS_DIR.glob(f"{name}-*"):
        shutil.rmtree(old)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", f"{asset.package}@{asset.version}"], cwd=tmp, check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            archive.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        target.mkdir(parents=True)
        for served, source in asset.files.items():
            shutil.copyfile(package / source, target / served)
        for source in asset.licence_files:
            shutil.copyfile(package / source, target / Path(source).name)
        if asset.licence_holder:
            (target / "LICENSE").write_text(MIT.format(holder=asset.licence_holder))
    size = sum(f.stat().st_size for f in target.iterdir())
    print(f"{name}: {asset.package}@{asset.version}, {size / 1024:.0f} KiB")


def main(names: list[str]) -> None:
    for name in names or list(ASSETS):
        if name not in ASSETS:
            sys.exit(f"unknown UI {name!r}; choose from {', '.join(ASSETS)}")
        vendor(name)


if __name__ == "__main__":
    main(sys.argv[1:])
