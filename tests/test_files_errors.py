"""Static files and FileResponse errors on a real server: what is not a regular file is
a 404, no server path is shown without DEBUG, and ``BOLT_ALLOWED_FILE_PATHS`` restricts
handlers without locking out the admin's own static files.

A private copy of the example project gets a static directory holding a sub-directory, a
symlink to a directory and a FIFO, a file outside the allowed directories, and routes
that send files by path.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from .conftest import EXAMPLE_PROJECT, example_env
from .servers import copy_project

EXTRA_ROUTES = '''

# --- added by tests/test_files_errors.py ---
from django.conf import settings as _settings


@api.get("/t/file")
async def t_file(name: str):
    return FileResponse(str(Path(_settings.BASE_DIR, name)), media_type="text/plain")


@api.get("/t/open")
async def t_open(name: str):
    with open(Path(_settings.BASE_DIR, name)) as f:
        return f.read()
'''


def _project(base: Path, debug: bool) -> Path:
    project = copy_project(EXAMPLE_PROJECT, base / ("debug" if debug else "prod"))
    extra = project / "extra_static"
    (extra / "sub").mkdir(parents=True)
    (extra / "sub" / "inside.css").write_text("body { color: red }\n")
    (extra / "plain.css").write_text("p { margin: 0 }\n")
    os.symlink(extra / "sub", extra / "dirlink")
    os.mkfifo(extra / "fifo")
    (project / "media").mkdir()
    (project / "media" / "ok.txt").write_text("allowed\n")
    (project / "secret.txt").write_text("outside\n")
    with open(project / "testproject" / "settings.py", "a") as f:
        f.write('\nSTATICFILES_DIRS = [BASE_DIR / "extra_static"]\n'
                'BOLT_ALLOWED_FILE_PATHS = [BASE_DIR / "media"]\n')
    with open(project / "testproject" / "api.py", "a") as f:
        f.write(EXTRA_ROUTES)
    return project


@pytest.fixture(scope="module")
def servers_by_debug(session_servers, example_db, tmp_path_factory):
    base = tmp_path_factory.mktemp("files-projects")
    out = {}
    for debug in (False, True):
        project = _project(base, debug)
        env = {**example_env(example_db), "DJANGO_DEBUG": "1" if debug else "0"}
        out[debug] = (session_servers.start(project, env=env), project)
    return out


@pytest.fixture(scope="module")
def prod(servers_by_debug):
    return servers_by_debug[False]


@pytest.fixture(scope="module")
def debug(servers_by_debug):
    return servers_by_debug[True]


def _get(server, path: str) -> httpx.Response:
    return server.get(path, timeout=10.0)


# --- static route: only regular files -----------------------------------------------------


@pytest.mark.parametrize("path", [
    "/static/admin/css", "/static/admin/css/", "/static/admin", "/static/sub", "/static/sub/",
    "/static/dirlink", "/static/dirlink/", "/static/fifo",
])
@pytest.mark.parametrize("mode", ["prod", "debug"])
def test_a_static_path_that_is_not_a_regular_file_is_404(servers_by_debug, path, mode):
    server, project = servers_by_debug[mode == "debug"]
    r = _get(server, path)
    assert r.status_code == 404, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == "application/json"
    assert str(project) not in r.text and "/tmp" not in r.text


def test_static_files_are_served_from_every_finder(prod):
    server, _ = prod
    assert _get(server, "/static/plain.css").text == "p { margin: 0 }\n"
    assert _get(server, "/static/sub/inside.css").text == "body { color: red }\n"
    assert _get(server, "/static/dirlink/inside.css").text == "body { color: red }\n"


def test_a_missing_static_file_names_the_url_path_only(prod):
    server, project = prod
    r = _get(server, "/static/admin/css/nope.css")
    assert r.status_code == 404
    assert r.json() == {"detail": "Static file not found: admin/css/nope.css"}


# --- BOLT_ALLOWED_FILE_PATHS ---------------------------------------------------------------


def test_allowed_file_paths_do_not_lock_out_the_admin_static_files(prod):
    server, _ = prod
    r = _get(server, "/static/admin/css/base.css")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"].startswith("text/css")
    assert b"DJANGO Admin styles" in r.content


def test_a_handler_may_send_a_file_inside_the_allowed_paths(prod):
    server, _ = prod
    r = _get(server, "/t/file?name=media/ok.txt")
    assert r.status_code == 200
    assert r.text == "allowed\n"


# --- no server paths without DEBUG ---------------------------------------------------------


@pytest.mark.parametrize(("path", "status", "detail"), [
    ("/t/file?name=secret.txt", 403, "Permission denied"),
    ("/t/file?name=media/missing.txt", 404, "File not found"),
    ("/t/file?name=extra_static/sub", 404, "File not found"),
    ("/t/file?name=extra_static/fifo", 404, "File not found"),
    ("/t/open?name=missing.txt", 404, "File not found"),
])
def test_file_errors_show_no_server_path_without_debug(prod, path, status, detail):
    server, project = prod
    r = _get(server, path)
    assert r.status_code == status, r.text[:300]
    assert r.json() == {"detail": detail}


@pytest.mark.parametrize(("path", "status", "shown"), [
    ("/t/file?name=secret.txt", 403, "secret.txt"),
    ("/t/file?name=media/missing.txt", 404, "missing.txt"),
    ("/t/open?name=missing.txt", 404, "missing.txt"),
])
def test_file_errors_name_the_path_with_debug(debug, path, status, shown):
    server, _ = debug
    r = _get(server, path)
    assert r.status_code == status, r.text[:300]
    assert shown in r.json()["detail"]


def test_the_allowed_paths_refusal_says_which_setting_with_debug(debug):
    server, _ = debug
    assert "BOLT_ALLOWED_FILE_PATHS" in _get(server, "/t/file?name=secret.txt").json()["detail"]
