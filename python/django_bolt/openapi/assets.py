"""The documentation UIs' scripts and styles, shipped in the package.

Each UI is pinned here to one npm package version; its files live in
``ui/<name>-<version>/`` beside this module, with the package's licence, and
the Go server serves them below the docs path (``server/docs_assets.go``)::

    /docs/assets/swagger-ui-5.18.2/swagger-ui-bundle.js

The version in the URL makes every asset immutable: responses carry a strong
``ETag`` and ``Cache-Control: public, max-age=31536000, immutable``, answer
``304 Not Modified`` to a matching ``If-None-Match``. Scripts and styles are
gzip-compressed once, on first use, and sent compressed to every client
that accepts gzip: compressing a 3 MB script for each request would cost
more than serving it. Only the files listed here are served.
``tools/vendor_docs_assets.py`` fetches the pinned versions from the npm
registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ASSETS", "ASSETS_DIR", "UIAssets", "docs_assets_table"]

ASSETS_DIR = Path(__file__).resolve().parent / "ui"


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

def docs_assets_table(url_prefix: str) -> dict[str, Any]:
    """The route table entry that has the Go server serve every shipped file below ``url_prefix``."""
    return {
        "url_prefix": url_prefix,
        "root": str(ASSETS_DIR),
        "files": [f"{asset.directory}/{file}" for asset in ASSETS.values() for file in asset.files],
    }
