"""The documentation UIs' scripts and styles, shipped in the package.

Each UI is pinned here to one npm package version; its files live in
``ui/<name>-<version>/`` beside this module, with the package's licence, and
are served below the docs path::

    /docs/assets/swagger-ui-5.18.2/swagger-ui-bundle.js

The version in the URL makes every asset immutable: responses carry a strong
``ETag`` and ``Cache-Control: public, max-age=31536000, immutable``, answer
``304 Not Modified`` to a matching ``If-None-Match``. Scripts and styles are
gzip-compressed once, on first use, and sent compressed to every client
that accepts gzip: compressing a 3 MB script for each request would cost
more than serving it. ``tools/vendor_docs_assets.py``
fetches the pinned versions from the npm registry.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ASSETS", "ASSETS_DIR", "AssetFile", "UIAssets", "shipped_asset"]

ASSETS_DIR = Path(__file__).resolve().parent / "ui"

# What a client caches a versioned file for: a year, never revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class UIAssets:
    """One UI: its npm package and version, and the files the page loads.

    ``files`` maps the served file name to its path inside the npm package;
    ``licence_files`` are copied beside them; ``licence_holder`` writes an MIT
    ``LICENSE`` for a package that declares MIT but ships no licence file.
    """

    package: str
    version: str
    files: dict[str, str]
    licence_files: tuple[str, ...] = ()
    licence_holder: str | None = None
    name: str = field(default="", compare=False)

    @property
    def directory(self) -> str:
        """The directory (and URL segment) of this version: ``swagger-ui-5.18.2``."""
        return f"{self.name}-{self.version}"


def _pinned(name: str, asset: UIAssets) -> tuple[str, UIAssets]:
    return name, UIAssets(asset.package, asset.version, asset.files, asset.licence_files,
                          asset.licence_holder, name=name)


ASSETS: dict[str, UIAssets] = dict([
    _pinned("swagger-ui", UIAssets(
        "swagger-ui-dist", "5.18.2",
        {name: name for name in (
            "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")},
        ("LICENSE", "NOTICE"),
    )),
    _pinned("redoc", UIAssets(
        "redoc", "2.5.0",
        {"redoc.standalone.js": "bundles/redoc.standalone.js"},
        ("LICENSE", "bundles/redoc.standalone.js.LICENSE.txt"),
    )),
    _pinned("scalar", UIAssets(
        "@scalar/api-reference", "1.34.6",
        {"standalone.js": "dist/browser/standalone.js"},
        licence_holder="2023-present Scalar",
    )),
    _pinned("rapidoc", UIAssets(
        "rapidoc", "9.3.4",
        {"rapidoc-min.js": "dist/rapidoc-min.js"},
        ("LICENSE.txt", "dist/rapidoc-min.js.LICENSE.txt"),
    )),
    _pinned("elements", UIAssets(
        "@stoplight/elements", "7.7.18",
        {"web-components.min.js": "web-components.min.js", "styles.min.css": "styles.min.css"},
        ("LICENSE", "web-components.min.js.LICENSE.txt"),
    )),
])

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
_BY_DIRECTORY = {asset.directory: asset for asset in ASSETS.values()}


@dataclass(frozen=True)
class AssetFile:
    """One shipped file, ready to send: as it is and, for text, gzip-compressed."""

    body: bytes
    content_type: str
    etag: str
    gzipped: bytes | None
    gzip_etag: str


_CACHE: dict[tuple[str, str], AssetFile] = {}


def shipped_asset(directory: str, file: str) -> AssetFile | None:
    """The shipped file ``file`` of ``directory``, None for a file not listed in ``ASSETS``.

    Only listed files are served, whatever the request names, so no path
    from a URL ever reaches the file system.
    """
    key = (directory, file)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    asset = _BY_DIRECTORY.get(directory)
    if asset is None or file not in asset.files:
        return None
    body = (ASSETS_DIR / directory / file).read_bytes()
    content_type = _CONTENT_TYPES[Path(file).suffix]
    digest = hashlib.sha256(body).hexdigest()[:32]
    # mtime=0: the same bytes on every start, so the gzip ETag holds across restarts.
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if content_type.startswith("text/") else None
    _CACHE[key] = parts = AssetFile(body, content_type, f'"{digest}"', gzipped, f'"{digest}-gzip"')
    return parts
