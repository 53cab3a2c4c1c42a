"""``manage.py runbolt`` itself: its errors and the project-without-API case."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from .conftest import SEMANTICS_PROJECT, free_port, run_manage, semantics_env


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


def _project_without_api(root: Path) -> Path:
    package = root / "emptyproj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text("urlpatterns = []\n")
    (package / "settings.py").write_text(textwrap.dedent("""\
        SECRET_KEY = "no-api-project"
        DEBUG = True
        ALLOWED_HOSTS = ["*"]
        INSTALLED_APPS = ["django_bolt"]
        ROOT_URLCONF = "emptyproj.urls"
        DATABASES = {}
        USE_TZ = True
    """))
    (root / "manage.py").write_text(textwrap.dedent("""\
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emptyproj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """))
    return root


def test_project_without_api_exits_zero_with_a_message(tmp_path):
    project = _project_without_api(tmp_path / "noapi")
    env = os.environ.copy()
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = run_manage(project, "runbolt", "--host", "127.0.0.1", "--port", str(free_port()), env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "No BoltAPI instances found" in done.stderr
