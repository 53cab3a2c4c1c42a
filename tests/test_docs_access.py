"""Who may read the docs: ``OpenAPIConfig(enabled=, guards=, auth=, django_auth=)`` on a
real server (a copy of the example project, its database and accounts, with another docs
configuration at the end of its api.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from .servers import copy_project, server_env

EXAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "python" / "examples" / "testproject"

PAGES = ("/docs", "/docs/", "/docs/redoc", "/docs/openapi.json", "/docs/openapi.yaml")


@pytest.fixture
def docs_server(servers, tmp_path, example_server, example_db):
    """Start the example project with ``config`` (Python source) as its docs configuration.

    Depends on ``example_server``, which seeds the accounts admin, staff and demo."""

    def start(config: str):
        project = copy_project(EXAMPLE_PROJECT, tmp_path / "project")
        api = project / "testproject" / "api.py"
        api.write_text(api.read_text() + "\n\n" + textwrap.dedent(config))
        return servers.start(project, env=server_env(TESTPROJECT_DB=str(example_db)))

    return start


def _token(server, user: str) -> str:
    r = httpx.post(server.base_url + "/auth/token", json={"username": user, "password": user}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _asset_url(page_html: str) -> str:
    return page_html.split('<script src="', 1)[1].split('"', 1)[0]


def test_enabled_false_serves_no_docs(docs_server):
    server = docs_server("""
        from django_bolt import OpenAPIConfig
        api.openapi_config = OpenAPIConfig(title="Private", version="1", enabled=False)
    """)
    for path in PAGES:
        assert server.get(path).status_code == 404, path
    assert server.get("/").status_code == 200


def test_guards_and_auth_protect_every_docs_route_at_the_default_path(docs_server):
    server = docs_server("""
        from django_bolt import IsStaff, JWTAuthentication, OpenAPIConfig, RedocRenderPlugin, SwaggerRenderPlugin
        api.openapi_config = OpenAPIConfig(
            title="Staff only", version="1",
            render_plugins=[SwaggerRenderPlugin(path="/"), RedocRenderPlugin()],
            guards=[IsStaff()], auth=[JWTAuthentication()],
        )
    """)
    staff, demo = _token(server, "staff"), _token(server, "demo")
    with httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False) as client:
        for path in PAGES:
            anonymous = client.get(path)
            assert anonymous.status_code == 401, (path, anonymous.text)
            assert anonymous.json() == {"detail": "Authentication required"}
            refused = client.get(path, headers={"authorization": f"Bearer {demo}"})
            assert refused.status_code == 403, (path, refused.text)
        as_staff = {"authorization": f"Bearer {staff}"}
        assert client.get("/docs", headers=as_staff).status_code == 307
        page = client.get("/docs/", headers=as_staff)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert client.get("/docs/openapi.json", headers=as_staff).json()["info"]["title"] == "Staff only"
        # The UIs' own scripts are public files: the page can load them.
        assert client.get(_asset_url(page.text)).status_code == 200
    # The API's routes keep their own rules.
    assert server.get("/").status_code == 200


def _login(client: httpx.Client, user: str) -> None:
    r = client.post("/mw/session/login", json={"username": user, "password": user})
    assert r.status_code == 200, r.text


def test_django_auth_true_sends_anonymous_visitors_to_the_login_page(docs_server):
    server = docs_server("""
        from django_bolt import OpenAPIConfig
        api.openapi_config = OpenAPIConfig(title="Members", version="1", django_auth=True)
    """)
    with httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False) as client:
        for path in ("/docs/", "/docs/openapi.json"):
            anonymous = client.get(path)
            assert anonymous.status_code == 302, (path, anonymous.text)
            assert anonymous.headers["location"] == f"/accounts/login/?next={path}"
        _login(client, "demo")
        page = client.get("/docs/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert client.get("/docs/openapi.json").json()["info"]["title"] == "Members"


def test_django_auth_takes_a_view_decorator(docs_server):
    server = docs_server("""
        from django.contrib.admin.views.decorators import staff_member_required
        from django_bolt import OpenAPIConfig
        api.openapi_config = OpenAPIConfig(title="Staff", version="1", django_auth=staff_member_required)
    """)
    with httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False) as demo:
        _login(demo, "demo")
        refused = demo.get("/docs/")
        assert refused.status_code == 302
        assert refused.headers["location"].startswith("/admin/login/?next=/docs/")
    with httpx.Client(base_url=server.base_url, timeout=15, follow_redirects=False) as staff:
        _login(staff, "staff")
        assert staff.get("/docs/").status_code == 200
