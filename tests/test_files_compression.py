"""Files sent from disk are compressed like other responses when they are text-like,
between ``minimum_size`` and 1 MiB, and the client accepts an encoding; a range request
gets the identity bytes (example project, default compression: brotli, gzip fallback)."""

from __future__ import annotations

import gzip

import brotli
import pytest

from .runtime_helpers import raw_exchange, request_head

CSS = "/static/admin/css/base.css"


@pytest.fixture(scope="module")
def identity(example_server) -> bytes:
    r = raw_exchange(example_server.port, request_head(CSS))
    assert r.status == 200 and "content-encoding" not in r.headers
    assert b"DJANGO Admin styles" in r.body
    return r.body


@pytest.mark.parametrize(("accept", "encoding", "decode"), [
    ("gzip", "gzip", gzip.decompress),
    ("br, gzip", "br", brotli.decompress),
])
def test_the_admin_css_is_compressed(example_server, identity, accept, encoding, decode):
    r = raw_exchange(example_server.port, request_head(CSS, headers=[("Accept-Encoding", accept)]))
    assert r.status == 200
    assert r.headers["content-encoding"] == encoding
    assert "accept-encoding" in r.headers["vary"].lower()
    assert r.headers["etag"].startswith('W/"')
    assert len(r.body) < len(identity)
    assert decode(r.body) == identity


def test_a_range_of_a_file_is_never_compressed(example_server, identity):
    r = raw_exchange(example_server.port, request_head(CSS, headers=[("Accept-Encoding", "gzip"),
                                                                     ("Range", "bytes=0-99")]))
    assert r.status == 206
    assert "content-encoding" not in r.headers
    assert r.body == identity[:100]


def test_a_revalidation_with_the_compressed_etag_is_304(example_server):
    first = raw_exchange(example_server.port, request_head(CSS, headers=[("Accept-Encoding", "gzip")]))
    again = raw_exchange(example_server.port, request_head(CSS, headers=[
        ("Accept-Encoding", "gzip"), ("If-None-Match", first.headers["etag"])]))
    assert again.status == 304
