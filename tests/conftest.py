"""Helpers and fixtures for the integration tests: real servers on real sockets.

Servers are started and stopped by the shared machinery of ``servers.py`` (``manage.py
runbolt`` in the project directory, in a session of its own, so that stopping it also
reaches worker processes a supervisor may have started); this file adds the fixtures and
helpers of the example and semantics projects.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Callable

import pytest

from .servers import (
    PYTHON, REPO, START_TIMEOUT, VENV, RequestLoop, RunboltServer, ServerGroup, copy_project, free_port,
    group_fixture, parent_pid, server_env, wait_until,
)

# The fixtures of the helper modules, registered once for the whole suite: a test module
# imports only the helper functions it calls, never a fixture.
pytest_plugins = ["tests.runtime_helpers", "tests.security_helpers"]

EXAMPLE_PROJECT = REPO / "python" / "examples" / "testproject"
SEMANTICS_PROJECT = Path(__file__).resolve().parent / "semantics_project"
SERVER_BINARY = REPO / "python" / "django_bolt" / "bin" / "bolt-server"


def port_is_bindable(port: int) -> bool:
    """Whether a new server could listen on ``port`` now (as a server would: SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
        return True


def token() -> str:
    return uuid.uuid4().hex


def run_manage(project: Path, *args: str, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``manage.py`` of ``project`` to completion with the virtualenv's interpreter."""
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=project, env=env if env is not None else os.environ.copy(),
        capture_output=True, text=True, timeout=timeout,
    )


def migrate(project: Path, env: dict[str, str]) -> None:
    done = run_manage(project, "migrate", "--noinput", "-v0", env=env)
    assert done.returncode == 0, f"migrate failed:\n{done.stdout}\n{done.stderr}"


class Server(RunboltServer):
    """A running ``manage.py runbolt`` (see ``servers.RunboltServer``): ready once anything
    answers on ``/``; ``get``/``post`` open a new connection each, 10 s timeout."""


class Hammer:
    """Requests ``path`` on fresh connections in the background until stopped (bounded in
    count and time), recording ``response.json()[key]`` or the error of every request."""

    def __init__(self, server: Server, path: str, key: str, max_requests: int = 20000,
                 max_seconds: float = 120) -> None:
        self.server = server
        self.key = key
        self.loop = RequestLoop(server, path, max_seconds=max_seconds, max_requests=max_requests,
                                timeout=30.0, join_timeout=60)

    @property
    def values(self) -> list:
        return [o.body[self.key] for o in self.loop.ok()]

    @property
    def errors(self) -> list[str]:
        return self.loop.errors()

    def __enter__(self) -> "Hammer":
        self.loop.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.loop.stop()

    def count(self) -> int:
        return self.loop.count()


class ServerFactory(ServerGroup):
    """Starts servers and stops every one of them at teardown."""

    def __init__(self, log_dir: Path) -> None:
        super().__init__(log_dir, Server, "server")

    def start(self, project: Path, *args: str, env: dict[str, str] | None = None,
              wait: bool = True, timeout: float = START_TIMEOUT) -> Server:
        return self.launch(project, args, env if env is not None else os.environ.copy(), wait=wait, timeout=timeout)


@pytest.fixture(scope="session", autouse=True)
def _binary_built() -> None:
    if not SERVER_BINARY.is_file():
        pytest.exit(f"the server binary is missing ({SERVER_BINARY}); run `make build` first", returncode=2)


servers = group_fixture(
    ServerFactory, doc="Start servers for one test; all of them are stopped when it ends, even on failure.")
session_servers = group_fixture(
    ServerFactory, "session", "server-logs", doc="Servers shared by the whole session, stopped at its end.")


def example_env(db_path: Path) -> dict[str, str]:
    return server_env(TESTPROJECT_DB=str(db_path))


def semantics_env(db_path: Path) -> dict[str, str]:
    return server_env(SEMANTICS_DB=str(db_path))


@pytest.fixture(scope="session")
def example_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("example-db") / "db.sqlite3"
    migrate(EXAMPLE_PROJECT, example_env(db))
    return db


@pytest.fixture(scope="session")
def semantics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("semantics-db") / "db.sqlite3"
    migrate(SEMANTICS_PROJECT, semantics_env(db))
    return db


@pytest.fixture(scope="session")
def example_server(session_servers: ServerFactory, example_db: Path) -> Server:
    """The example project, migrated and seeded: 1000 demo users (through GET /users/seed)
    and the login accounts admin/admin, staff/staff and demo/demo (``seed_demo``)."""
    env = example_env(example_db)
    server = session_servers.start(EXAMPLE_PROJECT, env=env)
    seeded = server.get("/users/seed", timeout=60.0)
    assert seeded.status_code == 200, seeded.text
    assert seeded.json()["count"] >= 1000
    accounts = run_manage(EXAMPLE_PROJECT, "seed_demo", env=env)
    assert accounts.returncode == 0, accounts.stderr
    return server


@pytest.fixture(scope="session")
def semantics_server(session_servers: ServerFactory, semantics_db: Path) -> Server:
    """The semantics project with two worker threads."""
    return session_servers.start(SEMANTICS_PROJECT, "--workers", "2", env=semantics_env(semantics_db))


@pytest.fixture
def start_semantics(servers: ServerFactory, semantics_db: Path) -> Callable[..., Server]:
    """Start a fresh semantics-project server (for tests that stop or disturb it)."""

    def start(*args: str, project: Path = SEMANTICS_PROJECT, **kwargs) -> Server:
        return servers.start(project, *args, env=semantics_env(semantics_db), **kwargs)

    return start


def raw_request(port: int, path: str, host: str = "127.0.0.1", timeout: float = 10.0) -> socket.socket:
    """Open a connection and send ``GET path``; the caller reads and closes."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    return sock


def read_until(sock: socket.socket, marker: bytes, limit: int = 1 << 20) -> bytes:
    """Read from ``sock`` until ``marker`` appears (or the peer closes / ``limit`` bytes)."""
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


__all__ = [
    "EXAMPLE_PROJECT", "SEMANTICS_PROJECT", "REPO", "VENV", "PYTHON", "Server", "ServerFactory",
    "free_port", "port_is_bindable", "parent_pid", "token", "wait_until", "run_manage", "migrate", "copy_project",
    "raw_request", "read_until", "Hammer", "example_env", "semantics_env",
]
