"""``manage.py runbolt`` itself: its errors and the project-without-API case."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from .conftest import SEMANTICS_PROJECT, free_port, run_manage, semantics_env
from .servers import RunboltServer


def test_missing_binary_is_a_clear_command_error(semantics_db):
    env = semantics_env(semantics_db)
    env["DJANGO_BOLT_SERVER"] = "/nonexistent"
    done = run_manage(SEMANTICS_PROJECT, "runbolt", "--host", "127.0.0.1", "--port", str(free_port()), env=env,
                      timeout=60)
    assert done.returncode != 0
    assert "CommandError" in done.stderr
    assert "/nonexistent" in done.stderr
    assert "make build" in done.stderr


@pytest.mark.parametrize(
    ("args", "mentions"),
    [(["--port", "70000"], "--port 70000"), (["--processes", "0"], "--processes 0"), (["--workers", "0"], "--workers 0")],
)
def test_invalid_options_are_command_errors(semantics_db, args, mentions):
    done = run_manage(SEMANTICS_PROJECT, "runbolt", "--host", "127.0.0.1", *args, env=semantics_env(semantics_db),
                      timeout=60)
    assert done.returncode != 0
    assert "CommandError" in done.stderr
    assert mentions in done.stderr


def _project(root: Path, *, settings: str = "", api: str | None = None) -> Path:
    """A minimal project ``proj`` under ``root``: extra ``settings`` lines, and an
    ``api.py`` with ``api`` source when given."""
    package = root / "proj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text("urlpatterns = []\n")
    (package / "settings.py").write_text(textwrap.dedent("""\
        SECRET_KEY = "startup-errors-project"
        DEBUG = True
        ALLOWED_HOSTS = ["*"]
        INSTALLED_APPS = ["django_bolt"]
        ROOT_URLCONF = "proj.urls"
        DATABASES = {}
        USE_TZ = True
    """) + textwrap.dedent(settings))
    if api is not None:
        (package / "api.py").write_text(textwrap.dedent(api))
    (root / "manage.py").write_text(textwrap.dedent("""\
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """))
    return root


HELLO_API = """\
    from django_bolt import BoltAPI

    api = BoltAPI()

    @api.get("/")
    async def hello():
        return {"hello": "world"}
"""


def _env() -> dict[str, str]:
    env = os.environ.copy()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _runbolt(project: Path, *args: str, timeout: float = 60):
    return run_manage(project, "runbolt", "--host", "127.0.0.1", "--port", str(free_port()), *args,
                      env=_env(), timeout=timeout)


def test_project_without_api_fails_and_lists_where_it_looked(tmp_path):
    done = _runbolt(_project(tmp_path / "noapi"))
    assert done.returncode == 1, done.stderr
    assert "No BoltAPI found" in done.stderr
    assert "proj.api:api" in done.stderr and "proj.bolt_api:api" in done.stderr
    assert "BOLT_API" in done.stderr


def test_an_import_error_is_reported_once_and_never_retried(tmp_path):
    project = _project(tmp_path / "broken", api="""\
        from django_bolt import BoltAPI
        import no_such_module_anywhere
        api = BoltAPI()
    """)
    done = _runbolt(project, "--processes", "2")
    assert done.returncode == 1
    assert done.stderr.count("Traceback") == 1, done.stderr
    assert "no_such_module_anywhere" in done.stderr
    assert "restarting" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("line", "setting"),
    [('BOLT_CORS_ALLOWED_ORIGINS = "*"', "BOLT_CORS_ALLOWED_ORIGINS"),
     ('BOLT_TRUSTED_PROXIES = "not-a-network"', "BOLT_TRUSTED_PROXIES")],
)
def test_a_configuration_error_is_one_line_naming_the_setting(tmp_path, line, setting):
    done = _runbolt(_project(tmp_path / "badsetting", settings=line + "\n", api=HELLO_API))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("CommandError")]
    assert len(errors) == 1 and setting in errors[0], done.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start(tmp_path):
    project = _project(tmp_path / "hosts", settings="DEBUG = False\nALLOWED_HOSTS = []\n", api=HELLO_API)
    done = _runbolt(project)
    assert done.returncode == 1
    assert "ALLOWED_HOSTS" in done.stderr and "CommandError" in done.stderr


def test_a_worker_that_cannot_load_the_project_stops_the_server_at_once(tmp_path):
    # Fails only inside the server's workers, after the command's own check passed.
    project = _project(tmp_path / "workerfail", api="""\
        import os
        from django_bolt import BoltAPI
        if os.environ.get("BOLT_WORKER") is not None:
            raise RuntimeError("this project breaks in the worker")
        api = BoltAPI()
        @api.get("/")
        async def hello():
            return {}
    """)
    done = _runbolt(project, "--processes", "2")
    assert done.returncode == 1
    assert "the project cannot start" in done.stderr
    assert "restarting" not in done.stderr


def test_the_banner_says_what_is_served(tmp_path):
    project = _project(tmp_path / "banner", api=HELLO_API)
    server = RunboltServer(project, ("--processes", "1"), _env(), tmp_path / "banner.log")
    try:
        server.wait_ready()
        out = server.output()
    finally:
        server.stop()
    assert f"Serving    http://127.0.0.1:{server.port}" in out
    assert "Processes  1" in out
    assert "Routes     " in out and "1 from the project's APIs" in out
    assert "Settings   proj.settings (DEBUG on)" in out
    assert out.count("Serving    ") == 1


def test_an_unreachable_rate_limit_backend_is_a_start_up_warning(tmp_path):
    port = free_port()  # nothing listens there
    project = _project(tmp_path / "redis", api=HELLO_API,
                       settings=f'BOLT_RATE_LIMIT_BACKEND = "redis://127.0.0.1:{port}/0"\n')
    server = RunboltServer(project, ("--processes", "1"), _env(), tmp_path / "redis.log")
    try:
        server.wait_ready()
        out = server.output()
    finally:
        server.stop()
    assert f"WARNING: BOLT_RATE_LIMIT_BACKEND redis://127.0.0.1:{port}/0 does not answer" in out


def test_a_required_rate_limit_backend_that_does_not_answer_stops_start_up(tmp_path):
    project = _project(tmp_path / "redis-required", api=HELLO_API, settings=(
        f'BOLT_RATE_LIMIT_BACKEND = "redis://user:secret@127.0.0.1:{free_port()}/0"\n'
        "BOLT_RATE_LIMIT_BACKEND_REQUIRED = True\n"))
    done = _runbolt(project)
    assert done.returncode == 1
    assert "CommandError: BOLT_RATE_LIMIT_BACKEND" in done.stderr
    assert "secret" not in done.stderr


@pytest.mark.parametrize(("settings", "allowed", "refused"), [
    ('DEBUG = False\nALLOWED_HOSTS = ["api.example.com", ".example.org"]\n',
     ["api.example.com", "API.example.com:8000", "example.org", "www.example.org"], ["127.0.0.1", "evil.com"]),
    # Django's default under DEBUG with an empty list: local hosts only.
    ("DEBUG = True\nALLOWED_HOSTS = []\n", ["127.0.0.1", "localhost", "app.localhost"], ["example.com"]),
])
def test_allowed_hosts_are_enforced_as_django_does(tmp_path, settings, allowed, refused):
    project = _project(tmp_path / "hosts", api=HELLO_API, settings=settings)
    server = RunboltServer(project, ("--processes", "1"), _env(), tmp_path / "hosts.log")
    try:
        server.wait_ready()
        for host in allowed:
            r = server.get("/", headers={"Host": host})
            assert r.status_code == 200, (host, r.text)
        for host in refused:
            r = server.get("/", headers={"Host": host})
            assert r.status_code == 400, host
            assert r.json() == {"detail": "Invalid Host header"}
    finally:
        server.stop()
