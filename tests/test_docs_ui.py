"""The five documentation UIs, opened in headless Chromium against a real server with no
internet: each page must show the API's operations from the assets shipped in the package.

Screenshots are kept in ``tests/artifacts/docs-ui/`` (not versioned) for a human to look at.
The browser resolves no host but 127.0.0.1, so a page that needs a CDN renders nothing and
fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from .browser import Browser, chromium

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "docs-ui"

# The summary of POST /auth/token (its docstring's first line) in the example project.
OPERATION = "Exchange a username and password for a JWT"


@pytest.fixture(scope="module")
def browser():
    if chromium() is None:
        # CI installs it (.ci/run), so there a missing browser is a failure, not a skip.
        message = "needs Debian's chromium package (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with Browser(offline=True) as b:
        yield b


@pytest.mark.parametrize("ui, path", [
    ("swagger", "/docs/"),
    ("redoc", "/docs/redoc"),
    ("scalar", "/docs/scalar"),
    ("rapidoc", "/docs/rapidoc"),
    # Elements folds each tag's operations in its sidebar: open the operation's own page.
    ("stoplight", "/docs/stoplight#/operations/post_token"),
])
def test_ui_renders_the_operations_offline(example_server, browser, ui, path):
    page = browser.open(example_server.base_url + path)
    shown = page.wait_for_text(OPERATION, timeout=45)
    page.screenshot(ARTIFACTS / f"{ui}.png")
    assert shown, (
        f"{path}: {OPERATION!r} never became visible; script errors: {browser.console}; "
        f"failed requests: {browser.failed_requests}"
    )
    local = example_server.base_url + "/docs/assets/"
    scripts = [url for url in browser.requested if url.endswith((".js", ".css"))]
    assert scripts and all(url.startswith(local) for url in scripts), scripts


def test_assets_are_compressed_and_revalidated_by_etag(example_server):
    """The UIs' files are served by the Go server, gzip-compressed once ahead of any client."""
    page = httpx.get(example_server.base_url + "/docs/", timeout=15)
    url = example_server.base_url + page.text.split('<script src="', 1)[1].split('"', 1)[0]
    with httpx.Client(timeout=15) as client:
        for accept, encoding in (("gzip", "gzip"), ("gzip, deflate, br, zstd", "gzip"), ("br", None)):
            response = client.get(url, headers={"accept-encoding": accept})
            assert response.status_code == 200
            assert response.headers.get("content-encoding") == encoding
            if encoding:
                assert int(response.headers["content-length"]) < len(response.content) / 3
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            cached = client.get(url, headers={"if-none-match": response.headers["etag"], "accept-encoding": accept})
            assert cached.status_code == 304
            assert cached.content == b""
