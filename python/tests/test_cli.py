"""The ``django-bolt`` command: ``init`` on a fresh ``django-admin startproject``, ``version``."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import django_bolt
from django_bolt.cli import InitError, add_installed_app

BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run([str(BIN / "django-bolt"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    subprocess.run([str(BIN / "django-admin"), "startproject", "mysite", str(tmp_path)], check=True, timeout=120)
    return tmp_path


def test_version_prints_the_installed_version(tmp_path):
    result = run("version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Django-Bolt version: {django_bolt.__version__}\n"
    assert django_bolt.__version__ == importlib.metadata.version("django-bolt-go")
    module = subprocess.run([sys.executable, "-m", "django_bolt", "version"], capture_output=True, text=True,
                            timeout=120)
    assert module.stdout == result.stdout


def test_init_scaffolds_a_working_api(project):
    result = run("init", cwd=project / "mysite")  # from a subdirectory: manage.py is found above
    assert result.returncode == 0, result.stderr
    assert 'mysite/settings.py: added "django_bolt" to INSTALLED_APPS' in result.stdout
    assert "mysite/api.py: created with an example API" in result.stdout
    settings = (project / "mysite" / "settings.py").read_text()
    # In the list's own style: its quotes, one entry per line.
    assert re.search(r"""\n    (['"])django\.contrib\.staticfiles\1,\n    \1django_bolt\1,\n\]""", settings), settings

    # The project now has the app and the API: the route listing shows the example routes.
    routes = subprocess.run([sys.executable, "manage.py", "bolt_routes", "--no-admin", "--no-docs"],
                            cwd=project, capture_output=True, text=True, timeout=120)
    assert routes.returncode == 0, routes.stderr
    assert "mysite.api.hello" in routes.stdout and "/items" in routes.stdout

    again = run("init", cwd=project)
    assert again.returncode == 0
    assert "already in INSTALLED_APPS" in again.stdout and "left as it is" in again.stdout
    assert (project / "mysite" / "settings.py").read_text() == settings


def test_init_outside_a_project_says_what_to_do(tmp_path):
    result = run("init", cwd=tmp_path)
    assert result.returncode == 1
    assert "No manage.py" in result.stderr and "django-admin startproject" in result.stderr
    assert result.stdout == ""


def test_unknown_command_is_a_usage_error(tmp_path):
    result = run("serve", cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'serve'" in result.stderr


@pytest.mark.parametrize("before, after", [
    ('INSTALLED_APPS = ["a", "b"]\n', 'INSTALLED_APPS = ["a", "b", "django_bolt"]\n'),
    ("INSTALLED_APPS = []\n", 'INSTALLED_APPS = ["django_bolt"]\n'),
    ("INSTALLED_APPS = ['a']\n", "INSTALLED_APPS = ['a', 'django_bolt']\n"),
    ('INSTALLED_APPS = (\n    "a",  # [not a bracket]\n    "b"\n)\n',
     'INSTALLED_APPS = (\n    "a",  # [not a bracket]\n    "b",\n    "django_bolt",\n)\n'),
])
def test_installed_apps_edit_keeps_the_list_style(before, after):
    assert add_installed_app(before, Path("settings.py")) == after


def test_installed_apps_already_there_or_not_a_list():
    assert add_installed_app("INSTALLED_APPS = ['django_bolt']\n", Path("s.py")) is None
    with pytest.raises(InitError, match="by hand"):
        add_installed_app("INSTALLED_APPS = base.APPS + ['x']\n", Path("s.py"))
    with pytest.raises(InitError, match="no `INSTALLED_APPS"):
        add_installed_app("DEBUG = True\n", Path("s.py"))
