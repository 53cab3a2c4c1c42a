"""Helpers and fixtures for the integration tests: real servers on real sockets.

Every server is started the way users start it (``manage.py runbolt`` in the project
directory, with the virtualenv's interpreter) in its own process group, so that
stopping it also reaches worker processes a supervisor may have started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
EXAMPLE_PROJECT = REPO / "python" / "examples" / "testproject"
SEMANTICS_PROJECT = Path(__file__).resolve().parent / "semantics_project"
SERVER_BINARY = REPO / "python" / "django_bolt" / "bin" / "bolt-server"

START_TIMEOUT = 40.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def parent_pid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    return int(stat.rsplit(")", 1)[1].split()[1])


def token() -> str:
    return uuid.uuid4().hex


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05,
               message: str = "condition") -> object:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {message}")
        time.sleep(interval)


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


class Server:
    """A running ``manage.py runbolt``. runbolt execs the server binary, so ``pid`` is the
    server's own process; it runs in a new session, whose members are all stopped at the end."""

    def __init__(self, project: Path, args: tuple[str, ...], env: dict[str, str], log_path: Path) -> None:
        self.project = project
        self.port = free_port()
        self.host = "127.0.0.1"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [PYTHON, "manage.py", "runbolt", "--host", self.host, "--port", str(self.port), *args],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pgid = self.proc.pid  # new session: the group id is the leader's pid

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_bytes().decode(errors="replace")

    def lost_port_race(self, timeout: float = START_TIMEOUT) -> bool:
        """Wait until the server answers or exits; True if it exited because the port was taken."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return "address already in use" in self.output().lower()
            if self.answers():
                return False
            time.sleep(0.1)
        return False

    def answers(self) -> bool:
        try:
            httpx.get(self.url("/"), timeout=2.0)
        except httpx.HTTPError:
            return False
        return True

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited with code {self.proc.returncode} before answering:\n{self.output()}")
            if self.answers():
                return
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"server did not answer on port {self.port} within {timeout:.0f}s:\n{self.output()}")

    def get(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("timeout", 10.0)
        return httpx.get(self.url(path), **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        kwargs.setdefault("timeout", 10.0)
        return httpx.post(self.url(path), **kwargs)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server did not exit within {timeout:.0f}s:\n{self.output()}")

    def group_members(self) -> list[int]:
        """Live processes of this server's process group and session (workers included)."""
        members = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            state, pgrp, session = fields[0], int(fields[2]), int(fields[3])
            if pgrp == self.pgid and session == self.pgid and state != "Z":
                members.append(int(entry))
        return members

    def kill(self) -> None:
        """SIGKILL the server and every process of its group (workers a supervisor started)."""
        if self.proc.poll() is None:
            # The leader is alive, so the group id is still ours.
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self.group_members():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL; always leaves no process of the group behind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        # Workers of a supervisor that was killed, or that outlived it, go too.
        self.kill()
        self._log.close()


class Hammer:
    """Requests ``path`` on fresh connections in the background until stopped (bounded in
    count and time), recording ``response.json()[key]`` or the error of every request."""

    def __init__(self, server: Server, path: str, key: str, max_requests: int = 20000,
                 max_seconds: float = 120) -> None:
        self.server = server
        self.path = path
        self.key = key
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.values: list = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        for _ in range(self.max_requests):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            try:
                r = httpx.get(self.server.url(self.path), timeout=30.0, headers={"connection": "close"})
            except httpx.HTTPError as exc:
                self.errors.append(repr(exc))
                continue
            if r.status_code != 200:
                self.errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
            else:
                self.values.append(r.json()[self.key])

    def __enter__(self) -> "Hammer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def count(self) -> int:
        return len(self.values) + len(self.errors)


class ServerFactory:
    """Starts servers and stops every one of them at teardown."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.servers: list[Server] = []

    def start(self, project: Path, *args: str, env: dict[str, str] | None = None,
              wait: bool = True, timeout: float = START_TIMEOUT) -> Server:
        # The free port is only reserved once the server binds it: another program on
        # the machine may take it first, so a start that finds it in use is retried.
        for attempt in range(3):
            log_path = self.log_dir / f"server-{len(self.servers)}-{uuid.uuid4().hex[:6]}.log"
            server = Server(project, args, env if env is not None else os.environ.copy(), log_path)
            self.servers.append(server)
            if not wait:
                return server
            if attempt < 2 and server.lost_port_race():
                continue
            server.wait_ready(timeout)
            return server
        raise AssertionError("unreachable")

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="session", autouse=True)
def _binary_built() -> None:
    if not SERVER_BINARY.is_file():
        pytest.exit(f"the server binary is missing ({SERVER_BINARY}); run `make build` first", returncode=2)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers for one test; all of them are stopped when it ends, even on failure."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="session")
def session_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    factory = ServerFactory(tmp_path_factory.mktemp("server-logs"))
    try:
        yield factory
    finally:
        factory.stop_all()


def example_env(db_path: Path) -> dict[str, str]:
    env = os.environ.copy()
    env["TESTPROJECT_DB"] = str(db_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def semantics_env(db_path: Path) -> dict[str, str]:
    env = os.environ.copy()
    env["SEMANTICS_DB"] = str(db_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


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


def copy_project(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.pyc"))
    return dst


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
