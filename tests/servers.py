"""The machinery every integration test shares: real ``manage.py runbolt`` servers on real
sockets.

A server is started the way users start it (``manage.py runbolt`` in the project directory,
with the virtualenv's interpreter) in a new session, its output going to a log file.
runbolt execs the Go binary, so the subprocess's pid is the server's (the supervisor's when
it has worker processes). Workers get process groups of their own but stay in that
session, so stopping a server kills every live process of the session: the supervisor and
every worker, even when the test failed or the supervisor died first. Whatever a test run
leaves behind anyway is killed when the interpreter exits.

``conftest.py``, ``runtime_helpers.py`` and ``security_helpers.py`` build their own
variants on ``RunboltServer``, ``ServerGroup`` and ``run_to_exit``.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NoReturn

import httpx
import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
# The servers run on the virtualenv that runs the tests (make test picks it per Python version).
VENV = Path(sys.prefix)
PYTHON = sys.executable
HOST = "127.0.0.1"

START_TIMEOUT = 45.0  # the machine is shared: starting Python can be slow
STOP_TIMEOUT = 20.0

# Building an SSL context is the slow part of creating an httpx client; the servers are
# plain HTTP, so one context serves every client.
SSL_CONTEXT = ssl.create_default_context()


# --- small utilities -------------------------------------------------------------------


def free_port() -> int:
    """A port free right now (only reserved once a server binds it: see ``lost_port_race``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, message: str = "condition",
               interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {message}")
        time.sleep(interval)


def server_env(*unset: str, **values: str) -> dict[str, str]:
    """This process's environment for a server: without DJANGO_SETTINGS_MODULE (each
    project's manage.py names its own settings) and ``unset``, with ``values``."""
    env = os.environ.copy()
    for name in ("DJANGO_SETTINGS_MODULE", *unset):
        env.pop(name, None)
    env.update(values)
    return env


def copy_project(src: Path, dst: Path) -> Path:
    """A private copy of a test project, without bytecode or databases."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.pyc"))
    return dst


def read_log(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""


# --- processes (from /proc) --------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    return stat.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def parent_pid(pid: int) -> int:
    fields = _stat_fields(pid)
    if fields is None:
        raise ProcessLookupError(pid)
    return int(fields[1])


def _live_where(field: int, value: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields and fields[0] not in ("Z", "X") and int(fields[field]) == value:
            out.add(int(entry))
    return out


def children_of(pid: int) -> set[int]:
    """Live child processes of ``pid``."""
    return _live_where(1, pid)


def group_members(pgid: int) -> set[int]:
    """Live processes of process group ``pgid``."""
    return _live_where(2, pgid)


def session_members(sid: int) -> set[int]:
    """Live processes of session ``sid`` (every group in it, workers included)."""
    return _live_where(3, sid)


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        raw = f.read()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


# --- starting and stopping ---------------------------------------------------------------

# Every process started by ``spawn`` and not yet stopped: killed at interpreter exit as a
# last resort, when fixture teardown did not run.
_SPAWNED: set[subprocess.Popen] = set()


def kill_session(sid: int) -> None:
    """SIGKILL every live process of session ``sid``, until none is left (a supervisor may
    start a worker while it is being killed). Once the session is empty its id may be
    reused, so nothing is killed then."""
    for _ in range(20):
        members = session_members(sid)
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_SPAWNED):
        kill_session(proc.pid)


def spawn(cmd: list[str], cwd: Path, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start ``cmd`` in a new session, its stdout and stderr going to ``log_path``."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _SPAWNED.add(proc)
    return proc


def stop_process(proc: subprocess.Popen, term_timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM and a bounded wait (none with ``term_timeout=0``), then SIGKILL every process
    left in its session whatever happened; always leaves none of them behind."""
    if term_timeout > 0 and proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=term_timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    # The leader's pid names the session; it stays reserved while any member lives.
    kill_session(proc.pid)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    _SPAWNED.discard(proc)


def runbolt_command(port: int, *args: str, host: str = HOST) -> list[str]:
    return [PYTHON, "manage.py", "runbolt", "--host", host, "--port", str(port), *args]


@dataclass
class Finished:
    returncode: int | None  # None: still running after the timeout (then stopped)
    output: str
    seconds: float


def run_to_exit(project: Path, args: Iterable[str], env: dict[str, str], log_path: Path, timeout: float,
                port: int | None = None, term_timeout: float = 0) -> Finished:
    """Run ``manage.py runbolt`` expecting it to end by itself within ``timeout``; it is
    stopped (``stop_process``) in any case."""
    started = time.monotonic()
    proc = spawn(runbolt_command(port or free_port(), *args), project, env, log_path)
    try:
        code: int | None = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        seconds = time.monotonic() - started
        stop_process(proc, term_timeout)
    return Finished(code, read_log(log_path), seconds)


_SERVING = re.compile(r"django-bolt worker \d+ serving")


class RunboltServer:
    """One running ``manage.py runbolt`` in a session of its own.

    Variants set the class attributes: what answers readiness, how many "serving" lines
    ``wait_ready`` waits for, the SIGTERM grace of ``stop`` and how failures are raised.
    """

    start_timeout = START_TIMEOUT
    term_timeout = STOP_TIMEOUT  # SIGTERM grace in stop() before everything is killed
    request_timeout = 10.0
    ready_path = "/"
    ready_status: int | None = None  # None: any HTTP answer is ready
    ready_workers = 0  # "django-bolt worker N serving" lines wait_ready waits for

    def __init__(self, project: Path, args: tuple[str, ...], env: dict[str, str], log_path: Path) -> None:
        self.project = project
        self.host = HOST
        self.port = free_port()
        self.log_path = log_path
        self.seen_workers: set[int] = set()
        self.proc = spawn(runbolt_command(self.port, *args, host=self.host), project, env, log_path)
        self.pgid = self.proc.pid  # new session: the group and session ids are the leader's pid

    def fail(self, message: str) -> NoReturn:
        pytest.fail(message)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return read_log(self.log_path)

    def running(self) -> bool:
        return self.proc.poll() is None

    def workers(self) -> set[int]:
        """The live worker processes (children) of the server; remembered in ``seen_workers``."""
        pids = children_of(self.pid) if self.running() else set()
        self.seen_workers |= pids
        return pids

    def group_members(self) -> list[int]:
        """Live processes of this server's session (its group and the workers' groups)."""
        return sorted(session_members(self.pgid))

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request on a new connection."""
        kwargs.setdefault("timeout", self.request_timeout)
        kwargs.setdefault("verify", SSL_CONTEXT)
        return httpx.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def answers(self) -> bool:
        try:
            r = httpx.get(self.url(self.ready_path), timeout=3.0, verify=SSL_CONTEXT,
                          headers={"connection": "close"})
        except httpx.HTTPError:
            return False
        return self.ready_status is None or r.status_code == self.ready_status

    def serving(self) -> int:
        """How many workers logged that they serve."""
        return len(_SERVING.findall(self.output()))

    def lost_port_race(self, timeout: float | None = None) -> bool:
        """Wait until the server answers or exits; True if it exited because the port was taken."""
        deadline = time.monotonic() + (self.start_timeout if timeout is None else timeout)
        while time.monotonic() < deadline:
            if not self.running():
                return "address already in use" in self.output().lower()
            if self.answers():
                return False
            time.sleep(0.1)
        return False

    def wait_ready(self, timeout: float | None = None, workers: int | None = None) -> None:
        """Wait until the server answers and ``workers`` workers logged "serving"; fail (the
        server stopped) if it exits first or is not ready within ``timeout``."""
        timeout = self.start_timeout if timeout is None else timeout
        workers = self.ready_workers if workers is None else workers
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                self.fail(f"server exited with code {self.proc.returncode} before serving:\n{self.output()}")
            if (workers <= 0 or self.serving() >= workers) and self.answers():
                self.workers()
                return
            time.sleep(0.1)
        self.stop()
        self.fail(f"server did not serve on port {self.port} within {timeout:g}s:\n{self.output()}")

    def wait_output(self, text: str, timeout: float, count: int = 1) -> str:
        wait_until(lambda: self.output().count(text) >= count, timeout,
                   f"{text!r} in the server output (x{count})")
        return self.output()

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"server did not exit within {timeout:g}s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the server and every process of its session at once."""
        self.workers()
        stop_process(self.proc, term_timeout=0)

    def stop(self) -> None:
        """SIGTERM, a bounded wait, then SIGKILL for the server and every worker; always
        leaves no process of its session behind. Stopping twice is harmless."""
        self.workers()
        stop_process(self.proc, self.term_timeout)


class ServerGroup:
    """Starts servers of one class and stops every one of them at ``stop_all``."""

    def __init__(self, log_dir: Path, server_class: type[RunboltServer] = RunboltServer,
                 log_prefix: str = "server") -> None:
        self.log_dir = log_dir
        self.server_class = server_class
        self.log_prefix = log_prefix
        self.servers: list[RunboltServer] = []

    def launch(self, project: Path, args: tuple[str, ...], env: dict[str, str], wait: bool = True,
               timeout: float | None = None, workers: int | None = None, label: str | None = None) -> Any:
        """Start a server; with ``wait``, return once ``wait_ready`` passed.

        The free port is only reserved once the server binds it: another program on the
        machine may take it first, so a start that finds it in use is retried.
        """
        for attempt in range(3):
            name = label if label is not None else str(len(self.servers))
            log_path = self.log_dir / f"{self.log_prefix}-{name}-{uuid.uuid4().hex[:6]}.log"
            server = self.server_class(project, args, env, log_path)
            self.servers.append(server)
            if not wait:
                return server
            if attempt < 2 and server.lost_port_race(timeout):
                continue
            server.wait_ready(timeout, workers)
            return server
        raise AssertionError("unreachable")

    def stop_all(self) -> None:
        """Stop every server, going on past one that fails to stop; then raise its error."""
        error: BaseException | None = None
        for server in self.servers:
            try:
                server.stop()
            except BaseException as exc:  # noqa: BLE001 - the others must be stopped too
                error = error or exc
        if error is not None:
            raise error


def group_fixture(make_group: Callable[[Path], ServerGroup], scope: str = "function",
                  log_dir_name: str = "server-logs", doc: str | None = None) -> Any:
    """A fixture yielding ``make_group(log_dir)`` whose servers are all stopped at teardown,
    even on failure. Logs go to the test's ``tmp_path`` (function scope) or to a new
    temporary directory named ``log_dir_name``. Bind it to the fixture's name."""

    def fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerGroup]:
        if scope == "function":
            log_dir = request.getfixturevalue("tmp_path")
        else:
            log_dir = tmp_path_factory.mktemp(log_dir_name)
        group = make_group(log_dir)
        try:
            yield group
        finally:
            group.stop_all()

    fixture.__doc__ = doc
    return pytest.fixture(scope=scope)(fixture)


# --- request loops -----------------------------------------------------------------------


@dataclass
class Outcome:
    at: float
    status: int | None = None
    body: Any = None
    error: str | None = None


class RequestLoop:
    """Background threads that GET ``path`` over and over on fresh connections.

    Every outcome is recorded. With ``retry_once`` a request that fails at the
    connection level is retried once, and only a failure of the retry counts as an
    error. Bounded by ``max_seconds`` and ``max_requests`` whatever happens.
    """

    def __init__(self, server: RunboltServer, path: str = "/pid", threads: int = 1, retry_once: bool = False,
                 max_seconds: float = 90.0, max_requests: int = 20000, timeout: float = 20.0,
                 join_timeout: float | None = None) -> None:
        self.server = server
        self.path = path
        self.retry_once = retry_once
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.timeout = timeout
        self.join_timeout = timeout + 10 if join_timeout is None else join_timeout
        self.outcomes: list[Outcome] = []
        self.retried: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _once(self, client: httpx.Client) -> Outcome:
        try:
            r = client.get(self.server.url(self.path))
        except httpx.HTTPError as exc:
            return Outcome(time.monotonic(), error=f"{type(exc).__name__}: {exc}")
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return Outcome(time.monotonic(), status=r.status_code, body=body)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        with httpx.Client(timeout=self.timeout, headers={"connection": "close"}, verify=SSL_CONTEXT) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                with self._lock:
                    if len(self.outcomes) >= self.max_requests:
                        return
                outcome = self._once(client)
                if outcome.error and self.retry_once and not self._stop.is_set():
                    with self._lock:
                        self.retried.append(outcome.error)
                    outcome = self._once(client)
                with self._lock:
                    self.outcomes.append(outcome)

    def __enter__(self) -> RequestLoop:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.join_timeout)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

    def count(self) -> int:
        return len(self.snapshot())

    def ok(self) -> list[Outcome]:
        return [o for o in self.snapshot() if o.status == 200]

    def errors(self) -> list[str]:
        return [o.error or f"HTTP {o.status}: {str(o.body)[:200]}" for o in self.snapshot() if o.status != 200]

    def pids(self) -> set[int]:
        return {o.body["pid"] for o in self.ok() if isinstance(o.body, dict) and "pid" in o.body}

    def summary(self) -> str:
        outcomes = self.snapshot()
        return (f"{len(outcomes)} requests, {len(self.ok())} ok, {len(self.retried)} retried, "
                f"errors: {self.errors()[:3]}, pids: {sorted(self.pids())}")

    def wait_for(self, predicate: Callable[[RequestLoop], Any], timeout: float, message: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() >= deadline:
                pytest.fail(f"timed out after {timeout:g}s waiting for {message} ({self.summary()})\n"
                            f"{self.server.output()[-3000:]}")
            time.sleep(0.05)
