"""How ``runbolt`` starts the binary: the interpreter's own libpython, found at run time.

The binary names libpython by soname only. These tests start real servers and read, from
inside the worker, which libpython file the process mapped and which environment the
project's code sees; and they check the messages for a missing library, a binary built
for another Python and ``--version``.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sysconfig
import textwrap
from pathlib import Path

import pytest

import django_bolt

from .conftest import SERVER_BINARY, run_manage
from .servers import ServerGroup, free_port, server_env

LIBRARY = Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("INSTSONAME")

API = '''\
import os

from django_bolt import BoltAPI

api = BoltAPI()


@api.get("/process")
async def process():
    with open("/proc/self/maps") as maps:
        mapped = sorted({line.split()[-1] for line in maps if "libpython" in line})
    return {"libpython": mapped, "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH"),
            "handover": os.environ.get("BOLT_LD_LIBRARY_PATH")}
'''


def _project(root: Path) -> Path:
    package = root / "launchproj"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text("urlpatterns = []\n")
    (package / "api.py").write_text(API)
    (package / "settings.py").write_text(textwrap.dedent("""\
        SECRET_KEY = "launch-project"
        DEBUG = False
        ALLOWED_HOSTS = ["*"]
        INSTALLED_APPS = ["django_bolt"]
        ROOT_URLCONF = "launchproj.urls"
        DATABASES = {}
        USE_TZ = True
    """))
    (root / "manage.py").write_text(textwrap.dedent("""\
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "launchproj.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
    """))
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("launch"))


@pytest.fixture
def servers(tmp_path):
    group = ServerGroup(tmp_path)
    yield group
    group.stop_all()


def _refusal(project: Path, **env: str) -> subprocess.CompletedProcess:
    done = run_manage(project, "runbolt", "--host", "127.0.0.1", "--port", str(free_port()), env=server_env(**env), timeout=60)
    assert done.returncode != 0, done.stdout + done.stderr
    # One message from runbolt, never the dynamic loader's own error.
    assert "error while loading shared libraries" not in done.stderr
    assert "Traceback" not in done.stderr
    return done


def test_the_binary_carries_no_library_search_path():
    dynamic = subprocess.run(["readelf", "-d", str(SERVER_BINARY)], capture_output=True, text=True, check=True).stdout
    assert "RPATH" not in dynamic and "RUNPATH" not in dynamic
    assert f"[{LIBRARY.name}]" in dynamic


@pytest.mark.parametrize("user_path", [None, "/opt/user-libraries"])
def test_worker_embeds_the_interpreters_own_libpython(project, servers, user_path):
    env = server_env("LD_LIBRARY_PATH", "BOLT_LIBPYTHON")
    if user_path:
        env["LD_LIBRARY_PATH"] = user_path
    server = servers.launch(project, (), env)
    body = server.get("/process").json()
    # The library of the interpreter that ran manage.py, not another build of the same
    # minor version that the loader's default path might hold.
    assert body["libpython"] == [str(LIBRARY.resolve())]
    # The project's code sees the user's own LD_LIBRARY_PATH, not the one used to load it.
    assert body["LD_LIBRARY_PATH"] == user_path
    assert body["handover"] is None


def test_library_override_is_used(project, servers, tmp_path):
    # A copy elsewhere stands for a Python whose sysconfig does not say where its library is.
    copy = tmp_path / "lib"
    copy.mkdir()
    (copy / LIBRARY.name).write_bytes(LIBRARY.read_bytes())
    server = servers.launch(project, (), server_env("LD_LIBRARY_PATH", BOLT_LIBPYTHON=str(copy)))
    assert server.get("/process").json()["libpython"] == [str(copy / LIBRARY.name)]


def test_a_directory_without_the_library_is_one_clear_message(project, tmp_path):
    done = _refusal(project, BOLT_LIBPYTHON=str(tmp_path))
    assert f"BOLT_LIBPYTHON={tmp_path}: there is no {LIBRARY.name} there" in done.stderr


def test_a_binary_for_another_python_names_both_versions(project, tmp_path):
    # A real ELF executable that links libpython3.99, as a wheel forced onto the wrong
    # Python would: runbolt refuses it before the loader sees it.
    (tmp_path / "stub.c").write_text("void Py_Initialize(void) {}\n")
    (tmp_path / "main.c").write_text("void Py_Initialize(void); int main(void) { Py_Initialize(); return 0; }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libpython3.99.so.1.0", "-o",
                    str(tmp_path / "libpython3.99.so"), str(tmp_path / "stub.c")], check=True)
    subprocess.run(["gcc", "-o", str(tmp_path / "bolt-server"), str(tmp_path / "main.c"), f"-L{tmp_path}",
                    "-lpython3.99"], check=True)
    done = _refusal(project, DJANGO_BOLT_SERVER=str(tmp_path / "bolt-server"))
    running = sysconfig.get_config_var("LDVERSION")
    assert f"was built for Python 3.99 (libpython3.99.so.1.0), but runbolt runs on Python {running}" in done.stderr


def test_version_is_the_package_version(project):
    done = run_manage(project, "runbolt", "--version", env=server_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == django_bolt.__version__
    assert importlib.metadata.version("django-bolt-go") == django_bolt.__version__
