"""Response compression by the Go core.

Bodies are read raw and decoded here, so what is checked is what was on the wire.
"""

from __future__ import annotations

import gzip
import json

import pytest

from .security_helpers import fetch, unique

brotli = pytest.importorskip("brotli", reason="the brotli package decodes br responses (pip install brotli)")
zstandard = pytest.importorskip("zstandard", reason="the zstandard package decodes zstd responses (pip install zstandard)")


def decode(response) -> bytes:
    encoding = response.headers.get("content-encoding", "identity")
    if encoding == "gzip":
        return gzip.decompress(response.body)
    if encoding == "br":
        return brotli.decompress(response.body)
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(response.body)
    assert encoding == "identity", encoding
    return response.body


def encoding_of(response) -> str:
    return response.headers.get("content-encoding", "identity")


@pytest.fixture(scope="module")
def big_plain(main_server) -> bytes:
    response = fetch(main_server.url("/comp/big"), accept_encoding=None)
    assert response.status == 200 and encoding_of(response) == "identity"
    assert len(response.body) > 2000
    return response.body


# --- negotiation (main profile: brotli backend, gzip fallback, 500-byte minimum) ----------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("br", "br"),
        ("gzip", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0, gzip", "gzip"),
        ("br;q=0.0, gzip;q=0.5", "gzip"),
        ("BR", "br"),
        ("x-gzip", "gzip"),
        ("*", "br"),
        ("br;q=0, *", "gzip"),
        ("br;q=0, gzip;q=0", "identity"),
        ("*;q=0", "identity"),
        ("identity", "identity"),
        ("deflate", "identity"),
        ("zstd", "identity"),  # zstd is not the configured backend and gzip is not accepted
    ],
)
def test_accept_encoding_negotiation(main_server, big_plain, accept, expected):
    response = fetch(main_server.url("/comp/big"), accept_encoding=accept)
    assert response.status == 200
    assert encoding_of(response) == expected
    assert decode(response) == big_plain
    if expected != "identity":
        assert len(response.body) < len(big_plain)
        assert "accept-encoding" in response.headers.get("vary", "").lower()


def test_no_accept_encoding_means_no_compression(main_server, big_plain):
    response = fetch(main_server.url("/comp/big"), accept_encoding=None)
    assert encoding_of(response) == "identity"
    assert response.body == big_plain


def test_higher_q_value_is_preferred(main_server, big_plain):
    response = fetch(main_server.url("/comp/big"), accept_encoding="br;q=0.1, gzip;q=1.0")
    assert encoding_of(response) == "gzip"
    assert decode(response) == big_plain


def test_minimum_size_is_respected(main_server):
    below = fetch(main_server.url("/comp/text?n=499"), accept_encoding="gzip, br")
    assert encoding_of(below) == "identity"
    assert below.body == b"x" * 499
    at = fetch(main_server.url("/comp/text?n=500"), accept_encoding="gzip, br")
    assert encoding_of(at) == "br"
    assert decode(at) == b"x" * 500


def test_no_compress_route_is_never_compressed(main_server, big_plain):
    response = fetch(main_server.url("/comp/off"), accept_encoding="gzip, br, zstd")
    assert response.status == 200
    assert response.headers.get("content-encoding", "identity") == "identity"
    assert json.loads(response.body) == json.loads(big_plain)


def test_server_sent_events_are_never_compressed(main_server):
    response = fetch(main_server.url("/comp/sse"), accept_encoding="gzip, br, zstd")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers.get("content-encoding", "identity") == "identity"
    assert response.body.startswith(b"data: event payload")
    assert response.body.count(b"\n\n") == 20


def test_streaming_body_arrives_intact_whatever_the_encoding(main_server):
    response = fetch(main_server.url("/comp/stream"), accept_encoding="gzip, br")
    assert response.status == 200
    body = decode(response)
    assert body.count(b"\n") == 20 and body.startswith(b"chunk 00 ")


# --- configuration ---------------------------------------------------------------------------


def test_bolt_compression_setting_selects_zstd_and_its_options(zstd_server):
    """BOLT_COMPRESSION = CompressionConfig(zstd, minimum_size=200, gzip_fallback=False) wins
    over the API's own gzip configuration."""
    response = fetch(zstd_server.url("/z/text?n=4000"), accept_encoding="zstd")
    assert encoding_of(response) == "zstd"
    assert decode(response) == b"y" * 4000
    preferred = fetch(zstd_server.url("/z/text?n=4000"), accept_encoding="gzip, br, zstd")
    assert encoding_of(preferred) == "zstd"
    # No gzip fallback, and brotli is not the backend.
    assert encoding_of(fetch(zstd_server.url("/z/text?n=4000"), accept_encoding="gzip")) == "identity"
    assert encoding_of(fetch(zstd_server.url("/z/text?n=4000"), accept_encoding="br")) == "identity"
    # The setting's minimum size, not the API's 10 bytes.
    assert encoding_of(fetch(zstd_server.url("/z/text?n=199"), accept_encoding="zstd")) == "identity"
    assert encoding_of(fetch(zstd_server.url("/z/text?n=200"), accept_encoding="zstd")) == "zstd"


def test_bolt_compression_none_turns_compression_off(defaults_server):
    response = fetch(defaults_server.url("/d/text?n=5000"), accept_encoding="gzip, br, zstd")
    assert response.status == 200
    assert encoding_of(response) == "identity"
    assert response.body == b"x" * 5000


def test_boltapi_compression_false_turns_compression_off(nocompress_server):
    response = fetch(nocompress_server.url("/nc/text?n=5000"), accept_encoding="gzip, br, zstd",
                     headers={"x-client": unique()})
    assert response.status == 200
    assert encoding_of(response) == "identity"
    assert response.body == b"w" * 5000
