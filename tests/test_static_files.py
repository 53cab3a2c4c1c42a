"""Static files served by the Go core over a real socket: STATIC_ROOT before
STATICFILES_DIRS, MIME types, ETag/304, Range, the CSP header, and what is refused.

A private copy of the example project gets a collected STATIC_ROOT, an extra static
directory and SECURE_CSP, and runs with DEBUG off (no finders besides the admin's)."""

from __future__ import annotations

import os
import time

import brotli
import httpx
import pytest

from .conftest import EXAMPLE_PROJECT, copy_project, example_env
from .runtime_helpers import raw_exchange, request_head

SETTINGS = '''
STATIC_URL = "assets/"
STATIC_ROOT = BASE_DIR / "collected"
STATICFILES_DIRS = [BASE_DIR / "extra_static", ("vendor", BASE_DIR / "vendor_static")]
SECURE_CSP = {"default-src": ["'self'"], "script-src": ["'self'", "<CSP_NONCE_SENTINEL>"],
              "upgrade-insecure-requests": True}
'''


@pytest.fixture(scope="module")
def server(session_servers, example_db, tmp_path_factory):
    project = copy_project(EXAMPLE_PROJECT, tmp_path_factory.mktemp("static-project") / "project")
    collected = project / "collected"
    (collected / "css").mkdir(parents=True)
    (collected / "css" / "app.css").write_text("body { color: #333 }\n" * 50)
    (collected / "both.txt").write_text("collected\n")
    (project / "extra_static" / "js").mkdir(parents=True)
    (project / "extra_static" / "both.txt").write_text("extra\n")
    (project / "extra_static" / "js" / "app.js").write_text("console.log(1)\n")
    (project / "vendor_static").mkdir()
    (project / "vendor_static" / "lib.js").write_text("/* vendored */\n")
    (project / "secret.txt").write_text("not public\n")
    os.symlink(project / "secret.txt", collected / "leak.txt")
    with open(project / "testproject" / "settings.py", "a") as f:
        f.write(SETTINGS)
    env = {**example_env(example_db), "DJANGO_DEBUG": "0"}
    return session_servers.start(project, env=env)


@pytest.fixture
def client(server):
    with httpx.Client(base_url=server.base_url, timeout=15.0) as c:
        yield c


CSP = "default-src 'self'; script-src 'self'; upgrade-insecure-requests"


def test_file_from_static_root_with_type_validators_and_csp(client):
    r = client.get("/assets/css/app.css")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/css; charset=utf-8"
    assert r.text == "body { color: #333 }\n" * 50
    assert r.headers["etag"] and r.headers["last-modified"]
    assert r.headers["content-security-policy"] == CSP


def test_static_root_comes_before_staticfiles_dirs(client):
    assert client.get("/assets/both.txt").text == "collected\n"
    assert client.get("/assets/js/app.js").text == "console.log(1)\n"
    assert client.get("/assets/vendor/lib.js").text == "/* vendored */\n"


def test_revalidation_and_ranges(client):
    first = client.get("/assets/css/app.css")
    again = client.get("/assets/css/app.css", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    since = client.get("/assets/css/app.css", headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    part = client.get("/assets/css/app.css", headers={"Range": "bytes=0-3"})
    assert part.status_code == 206
    assert part.text == "body"
    assert part.headers["content-range"].startswith("bytes 0-3/")


def test_head_sends_headers_only(client):
    r = client.head("/assets/js/app.js")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len("console.log(1)\n"))


@pytest.mark.parametrize("path", ["/assets/css", "/assets/css/", "/assets/leak.txt", "/assets/nope.css"])
def test_directories_escaping_symlinks_and_missing_files_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404
    assert "not public" not in r.text
    assert r.json()["detail"].startswith("Static file not found: ")


@pytest.mark.parametrize("raw", [b"/assets/../secret.txt", b"/assets/css/%2e%2e/%2e%2e/secret.txt", b"/assets//etc/passwd"])
def test_parent_segments_are_400(server, raw):
    # Sent as raw bytes: a client library would normalise the path first.
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET " + raw + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    assert b'{"detail":"Invalid static file path"}' in data


def test_admin_static_files_still_load_without_debug(client):
    r = client.get("/assets/admin/css/base.css")
    assert r.status_code == 200
    assert b"DJANGO Admin styles" in r.content


def test_browsers_get_the_file_compressed_as_it_is_now(server):
    # Compressed once per encoding and kept with the cached file; an edit drops both
    # within a second (default compression: brotli).
    css = server.project / "collected" / "css" / "edited.css"
    css.write_text("a { color: red }\n" * 100)
    head = request_head("/assets/css/edited.css", headers=[("Accept-Encoding", "gzip, deflate, br, zstd")])
    first = raw_exchange(server.port, head)
    assert first.status == 200
    assert first.headers["content-encoding"] == "br"
    assert first.headers["etag"].startswith('W/"')
    assert int(first.headers["content-length"]) == len(first.body) < len(css.read_bytes())
    assert brotli.decompress(first.body) == css.read_bytes()
    assert raw_exchange(server.port, head).body == first.body

    css.write_text("b { color: blue }\n" * 100)
    time.sleep(1.1)
    edited = raw_exchange(server.port, head)
    assert edited.headers["content-encoding"] == "br"
    assert brotli.decompress(edited.body) == css.read_bytes()
    assert edited.headers["etag"] != first.headers["etag"]
