"""The Django admin that runbolt serves next to the API (example project)."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.fixture
def browser(example_server) -> httpx.Client:
    with httpx.Client(base_url=example_server.base_url, timeout=15.0) as c:
        yield c


def test_admin_static_file(browser):
    r = browser.get("/static/admin/css/base.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    assert b"DJANGO Admin styles" in r.content


def test_unknown_static_file_is_404(browser):
    assert browser.get("/static/admin/css/no-such-file.css").status_code == 404


def test_admin_index_redirects_to_login(browser):
    r = browser.get("/admin/")
    assert r.status_code == 302
    assert r.headers["location"] == "/admin/login/?next=/admin/"


def test_admin_login_page(browser):
    r = browser.get("/admin/login/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert b"csrfmiddlewaretoken" in r.content
    assert "csrftoken" in browser.cookies


def _login(browser, username: str, password: str) -> httpx.Response:
    page = browser.get("/admin/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post("/admin/login/?next=/admin/", data={
        "csrfmiddlewaretoken": csrf, "username": username, "password": password, "next": "/admin/",
    })


def test_admin_login_and_changelist(browser):
    r = _login(browser, "admin", "admin")
    assert r.status_code == 302, r.text[:500]
    assert r.headers["location"] == "/admin/"
    index = browser.get("/admin/")
    assert index.status_code == 200
    assert "Site administration" in index.text
    changelist = browser.get("/admin/users/user/", params={"q": "demo0042"})
    assert changelist.status_code == 200
    assert "demo0042" in changelist.text


def test_admin_login_with_a_wrong_password_stays_on_the_form(browser):
    r = _login(browser, "admin", "wrong")
    assert r.status_code == 200
    assert "errornote" in r.text


def test_admin_post_without_csrf_token_is_rejected(browser):
    r = browser.post("/admin/login/", data={"username": "admin", "password": "admin"})
    assert r.status_code == 403
