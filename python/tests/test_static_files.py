"""Static files served by the Go core, through the in-process client (same Go code as the
server; the real-server checks are in tests/test_static_files.py)."""

from __future__ import annotations

import os
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.staticfiles import csp_header, static_files_config
from django_bolt.testing import TestClient


@pytest.fixture
def dirs(tmp_path):
    root = tmp_path / "collected"
    extra = tmp_path / "extra"
    (root / "css").mkdir(parents=True)
    (extra / "img").mkdir(parents=True)
    (root / "css" / "site.css").write_text("body { margin: 0 }")
    (root / "both.txt").write_text("root")
    (extra / "both.txt").write_text("extra")
    (extra / "img" / "logo.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    return root, extra


def make_api():
    api = BoltAPI()
    api.get("/static/version")(lambda: {"version": 1})
    return api


def test_served_from_settings_in_order(dirs):
    root, extra = dirs
    with override_settings(STATIC_URL="/assets/", STATIC_ROOT=str(root), STATICFILES_DIRS=[str(extra)], DEBUG=False):
        with TestClient(make_api()) as client:
            css = client.get("/assets/css/site.css")
            assert css.status_code == 200
            assert css.text == "body { margin: 0 }"
            assert css.headers["content-type"] == "text/css; charset=utf-8"
            assert client.get("/assets/both.txt").text == "root"
            assert client.get("/assets/img/logo.svg").headers["content-type"] == "image/svg+xml"
            etag = css.headers["etag"]
            again = client.get("/assets/css/site.css", headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.content == b""
            part = client.get("/assets/css/site.css", headers={"Range": "bytes=0-3"})
            assert part.status_code == 206 and part.text == "body"
            assert client.get("/assets/css").status_code == 404
            assert client.get("/assets/leak.txt").status_code == 404
            bad = client.get("/assets/css/%2e%2e/%2e%2e/secret.txt")
            assert bad.status_code == 400
            assert bad.json() == {"detail": "Invalid static file path"}
            missing = client.get("/assets/nope.js")
            assert missing.status_code == 404
            assert missing.json() == {"detail": "Static file not found: nope.js"}


def test_edited_and_removed_files_are_seen_within_a_second(dirs):
    # Files are kept in memory once served; each is looked at on disk again at most
    # once a second.
    root, _ = dirs
    css = root / "css" / "site.css"
    with override_settings(STATIC_URL="static/", STATIC_ROOT=str(root), STATICFILES_DIRS=[]):
        with TestClient(make_api()) as client:
            first = client.get("/static/css/site.css")
            assert first.text == "body { margin: 0 }"
            css.write_text("body { margin: 1em }")
            time.sleep(1.1)
            edited = client.get("/static/css/site.css")
            assert edited.text == "body { margin: 1em }"
            assert edited.headers["etag"] != first.headers["etag"]
            assert client.get("/static/css/site.css", headers={"If-None-Match": first.headers["etag"]}).status_code == 200
            css.unlink()
            time.sleep(1.1)
            assert client.get("/static/css/site.css").status_code == 404


def test_routes_win_over_files_under_the_prefix(dirs):
    root, _ = dirs
    (root / "version").write_text("file")
    with override_settings(STATIC_URL="static/", STATIC_ROOT=str(root)):
        with TestClient(make_api()) as client:
            assert client.get("/static/version").json() == {"version": 1}


def test_prefixed_dirs_and_csp(dirs):
    root, extra = dirs
    csp = {"default-src": ["'self'"], "script-src": ["'self'", "<CSP_NONCE_SENTINEL>"], "upgrade-insecure-requests": []}
    with override_settings(STATIC_URL="static/", STATIC_ROOT=None, STATICFILES_DIRS=[("vendor", str(extra))],
                           SECURE_CSP=csp):
        with TestClient(make_api()) as client:
            r = client.get("/static/vendor/both.txt")
            assert r.text == "extra"
            assert r.headers["content-security-policy"] == "default-src 'self'; script-src 'self'; upgrade-insecure-requests"
            assert client.get("/static/both.txt").status_code == 404


def test_explicit_config_replaces_the_settings(dirs):
    root, extra = dirs
    config = {"url_prefix": "/files", "directories": [str(extra)], "csp_header": "default-src 'none'"}
    with TestClient(make_api(), static_files_config=config) as client:
        r = client.get("/files/both.txt")
        assert r.text == "extra"
        assert r.headers["content-security-policy"] == "default-src 'none'"


def test_finders_only_with_debug(tmp_path):
    # The auth app ships no static files; contenttypes neither: use STATICFILES_DIRS as a finder source.
    with override_settings(STATIC_URL="static/", STATIC_ROOT=None, STATICFILES_DIRS=[], DEBUG=False):
        assert static_files_config() is None
    with override_settings(STATIC_URL="https://cdn.example.com/static/", STATIC_ROOT=str(tmp_path)):
        assert static_files_config() is None
    with override_settings(STATIC_URL="", STATIC_ROOT=str(tmp_path)):
        assert static_files_config() is None
    with override_settings(STATIC_URL="static/", STATIC_ROOT=str(tmp_path), STATICFILES_DIRS=[]):
        assert static_files_config(finders=False)["directories"] == [{"prefix": "", "root": str(tmp_path)}]


def test_csp_header_rules():
    assert csp_header(None) == ""
    assert csp_header({"default-src": "'self'", "img-src": ["'self'", "data:"], "block-all-mixed-content": True,
                       "script-src": ["<CSP_NONCE_SENTINEL>"], "frame-src": []}) == (
        "default-src 'self'; img-src 'self' data:; block-all-mixed-content"
    )
    with pytest.raises(ImproperlyConfigured, match="SECURE_CSP"):
        csp_header("default-src 'self'")
