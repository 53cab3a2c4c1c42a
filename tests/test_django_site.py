"""The rest of a Django site served by runbolt beside the API: plain, class-based,
template and streaming views through Django's own middleware (sessions, CSRF), with
API routes winning and unknown paths answered by the API's 404 in Go."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from .servers import HOST, RunboltServer, copy_project, server_env

SITE_PROJECT = Path(__file__).resolve().parent / "site_project"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    project = copy_project(SITE_PROJECT, root / "project")
    server = RunboltServer(project, ("--processes", "1"), server_env(SITE_DB=str(root / "db.sqlite3")),
                           root / "server.log")
    server.wait_ready()
    yield server
    server.stop()


def test_api_routes_are_served(site):
    assert site.get("/api/ping").json() == {"pong": True}


def test_the_banner_says_the_site_is_served(site):
    assert "Django     the rest of the URLconf (10 paths; under /items/)" in site.output()


def test_a_plain_function_view(site):
    r = site.get("/hello/")
    assert r.status_code == 200
    assert r.text == "hello from Django, GET /hello/"


def test_a_class_based_view_with_a_path_converter(site):
    assert site.get("/items/7/").json() == {"pk": 7, "view": "class-based"}
    # An unsafe method without a CSRF token: Django's CsrfViewMiddleware refuses it.
    assert site.request("DELETE", "/items/7/").status_code == 403


def test_common_middleware_redirects_to_the_slash_form(site):
    r = site.get("/hello", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == "/hello/"


def test_a_template_view(site):
    r = site.get("/about/")
    assert r.status_code == 200
    assert "<h1>About this site</h1>" in r.text


def test_csrf_protects_a_form_and_accepts_its_token(site):
    page = site.get("/page/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    cookie = page.cookies["csrftoken"]
    refused = site.post("/page/", data={"name": "x"})
    assert refused.status_code == 403
    accepted = site.post("/page/", data={"name": "ada", "csrfmiddlewaretoken": token},
                         cookies={"csrftoken": cookie})
    assert accepted.status_code == 200
    assert accepted.text == "posted ada"


def test_a_streaming_response_arrives_chunk_by_chunk(site):
    with socket.create_connection((HOST, site.port), timeout=10) as conn:
        conn.sendall(b"GET /numbers/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"200 OK" in head.split(b"\r\n")[0]
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"line 0\n" in body and b"line 4\n" in body


def test_a_path_the_api_defines_belongs_to_the_api(site):
    # Django has a view at /form/ too; the API's POST route owns the path.
    assert site.post("/form/").json() == {"from": "api"}
    assert site.get("/form/").status_code == 405


def test_a_path_the_urlconf_cannot_resolve_gets_the_api_404_without_django(site):
    r = site.get("/no/such/page/")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/plain")  # Go's, not Django's HTML page


def test_under_a_prefix_django_answers_its_own_404(site):
    r = site.get("/items/not-a-number/")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
