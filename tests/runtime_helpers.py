"""Shared helpers of the production-runtime tests (``test_runtime_*.py``).

Servers are started as users start them: ``manage.py runbolt`` in
``tests/runtime_project`` (or a copy of it), with the virtualenv's interpreter. runbolt
execs the Go binary, so the subprocess's pid is the supervisor's; its worker processes
are its children. Every server a test starts is stopped at teardown, supervisor and
every worker seen, even when the test fails.

Per-test ``BOLT_*`` settings reach the project through ``RUNTIME_SETTINGS_JSON``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
RUNTIME_PROJECT = TESTS_DIR / "runtime_project"
_VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON if _VENV_PYTHON.exists() else Path(sys.executable))

START_TIMEOUT = 45.0  # the machine is shared: starting Python can be slow
STOP_TIMEOUT = 20.0


# --- small utilities -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def wait_until(predicate: Callable[[], Any], timeout: float, message: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:g}s waiting for {message}")
        time.sleep(interval)


def runtime_env(settings: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a runtime-project server with ``settings`` as Django settings.

    GOMAXPROCS is removed unless given, so the supervisor's own choice is what runs.
    """
    env = os.environ.copy()
    for name in ("DJANGO_SETTINGS_MODULE", "GOMAXPROCS", "RUNTIME_SETTINGS_JSON"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the repository, no stale bytecode
    env["PYTHONUNBUFFERED"] = "1"
    if settings:
        env["RUNTIME_SETTINGS_JSON"] = json.dumps(settings)
    env.update(extra)
    return env


def copy_project(dst: Path) -> Path:
    """A private copy of the runtime project, for tests that edit its code."""
    shutil.copytree(RUNTIME_PROJECT, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dst


def api_file(project: Path) -> Path:
    return project / "rtproj" / "api.py"


def set_version(project: Path, version: str) -> None:
    """Rewrite the ``VERSION = ...`` line of the project's api.py."""
    path = api_file(project)
    source = path.read_text()
    changed, count = re.subn(r'^VERSION = .*$', f"VERSION = {version!r}", source, flags=re.M)
    assert count == 1, "api.py has no VERSION line"
    path.write_text(changed)


def break_project(project: Path, marker: str) -> str:
    """Make the project's api.py raise at import; returns the original source."""
    path = api_file(project)
    original = path.read_text()
    path.write_text(f'raise RuntimeError("broken on purpose: {marker}")\n' + original)
    return original


# --- processes -------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces; the fields after its closing parenthesis do not.
    return stat.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _all_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def children_of(pid: int) -> set[int]:
    """Live child processes of ``pid``."""
    out = set()
    for p in _all_pids():
        fields = _stat_fields(p)
        if fields and fields[0] not in ("Z", "X") and int(fields[1]) == pid:
            out.add(p)
    return out


def group_members(pgid: int) -> set[int]:
    """Live processes of process group ``pgid``."""
    out = set()
    for p in _all_pids():
        fields = _stat_fields(p)
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            out.add(p)
    return out


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        raw = f.read()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


# --- servers ---------------------------------------------------------------------------


_SERVING = re.compile(r"django-bolt worker \d+ serving")


class RuntimeServer:
    """One ``manage.py runbolt`` process: the supervisor, once runbolt has exec'd."""

    def __init__(self, project: Path, args: tuple[str, ...], env: dict[str, str], log_path: Path) -> None:
        self.project = project
        self.host = "127.0.0.1"
        self.port = free_port()
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [PYTHON, "manage.py", "runbolt", "--host", self.host, "--port", str(self.port), *args],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.seen_workers: set[int] = set()
        # One client for the test's requests; "connection: close" gives each request a
        # fresh connection, so any worker may answer it.
        self.http = httpx.Client(headers={"connection": "close"}, timeout=15.0)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_bytes().decode(errors="replace")

    def running(self) -> bool:
        return self.proc.poll() is None

    def workers(self) -> set[int]:
        pids = children_of(self.pid) if self.running() else set()
        self.seen_workers |= pids
        return pids

    def get(self, path: str, timeout: float = 15.0, **kwargs) -> httpx.Response:
        """One request on a fresh connection (so any worker may answer it)."""
        return self.http.get(self.url(path), timeout=timeout, **kwargs)

    def post(self, path: str, timeout: float = 15.0, **kwargs) -> httpx.Response:
        return self.http.post(self.url(path), timeout=timeout, **kwargs)

    def worker_pid(self) -> int:
        r = self.get("/pid")
        assert r.status_code == 200, r.text
        return r.json()["pid"]

    def answers(self) -> bool:
        try:
            return self.get("/", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = START_TIMEOUT, workers: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                pytest.fail(f"server exited with code {self.proc.returncode} before serving:\n{self.output()}")
            # Each worker logs one "serving" line once it is ready.
            if len(_SERVING.findall(self.output())) >= workers and self.answers():
                self.workers()
                return
            time.sleep(0.1)
        pytest.fail(f"server did not serve on port {self.port} within {timeout:g}s:\n{self.output()}")

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
            pytest.fail(f"server did not exit within {timeout:g}s:\n{self.output()}")

    def stop(self) -> None:
        """SIGTERM, a bounded wait, then SIGKILL for the supervisor and every worker seen.

        Workers run in process groups of their own, so they are tracked by pid.
        """
        self.workers()
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.workers()
        if group_members(self.pid):
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self.seen_workers:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.http.close()
        self._log.close()


class ServerPool:
    """Starts runtime servers and stops all of them at teardown."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.servers: list[RuntimeServer] = []

    def start(self, *args: str, settings: dict[str, Any] | None = None, project: Path = RUNTIME_PROJECT,
              env: dict[str, str] | None = None, wait: bool = True, workers: int = 1) -> RuntimeServer:
        log_path = self.log_dir / f"runbolt-{len(self.servers)}-{new_token()[:6]}.log"
        server = RuntimeServer(project, args, env if env is not None else runtime_env(settings), log_path)
        self.servers.append(server)
        if wait:
            server.wait_ready(workers=workers)
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[ServerPool]:
    """Servers for one test, all stopped when it ends."""
    pool = ServerPool(tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def module_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """Servers shared by the tests of one module, stopped after its last test."""
    pool = ServerPool(tmp_path_factory.mktemp("runtime-logs"))
    try:
        yield pool
    finally:
        pool.stop_all()


@dataclass
class Finished:
    returncode: int
    output: str
    seconds: float


def run_runbolt(*args: str, settings: dict[str, Any] | None = None, project: Path = RUNTIME_PROJECT,
                timeout: float = 90.0, port: int | None = None) -> Finished:
    """Run ``manage.py runbolt`` expecting it to end by itself within ``timeout``."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [PYTHON, "manage.py", "runbolt", "--host", "127.0.0.1", "--port", str(port or free_port()), *args],
        cwd=project, env=runtime_env(settings), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        workers = children_of(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"runbolt was still running after {timeout:g}s:\n{out.decode(errors='replace')}")
    finally:
        if group_members(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    return Finished(proc.returncode, out.decode(errors="replace"), time.monotonic() - started)


# --- request loops ---------------------------------------------------------------------


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

    def __init__(self, server: RuntimeServer, path: str = "/pid", threads: int = 1, retry_once: bool = False,
                 max_seconds: float = 90.0, max_requests: int = 20000, timeout: float = 20.0) -> None:
        self.server = server
        self.path = path
        self.retry_once = retry_once
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.timeout = timeout
        self.outcomes: list[Outcome] = []
        self.retried: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _once(self, client: httpx.Client) -> Outcome:
        try:
            r = client.get(self.server.url(self.path))
        except httpx.TransportError as exc:
            return Outcome(time.monotonic(), error=f"{type(exc).__name__}: {exc}")
        try:
            body = r.json()
        except ValueError:
            body = r.text
        return Outcome(time.monotonic(), status=r.status_code, body=body)

    def _run(self) -> None:
        deadline = time.monotonic() + self.max_seconds
        with httpx.Client(timeout=self.timeout, headers={"connection": "close"}) as client:
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
            t.join(timeout=self.timeout + 10)

    def snapshot(self) -> list[Outcome]:
        with self._lock:
            return list(self.outcomes)

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


# --- raw HTTP ----------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def parse_raw_response(data: bytes) -> RawResponse:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    assert match, f"not an HTTP response: {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return RawResponse(int(match.group(1)), match.group(2), headers, body)


def raw_exchange(port: int, request: bytes, timeout: float = 15.0) -> RawResponse:
    """Send ``request`` bytes on a new connection and read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading all of a too-large request
        return read_response(sock)


def read_response(sock: socket.socket) -> RawResponse:
    """Read one response (head plus Content-Length body) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _recv(sock)
        if not chunk:
            break
        data += chunk
    assert b"\r\n\r\n" in data, f"incomplete response: {data[:300]!r}"
    head = parse_raw_response(data)
    want = len(data.partition(b"\r\n\r\n")[0]) + 4 + int(head.headers.get("content-length", "0"))
    while len(data) < want:
        chunk = _recv(sock)
        if not chunk:
            break
        data += chunk
    return parse_raw_response(data)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def request_head(path: str = "/", method: str = "GET", headers: list[tuple[str, str]] | None = None,
                 body: bytes = b"", close: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers or []]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- Prometheus text format ------------------------------------------------------------


@dataclass
class Sample:
    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Family:
    name: str
    type: str = "untyped"
    help: str = ""
    samples: list[Sample] = field(default_factory=list)


_METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(?:,|$)')
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count"), "counter": ("_total", "")}


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _parse_value(text: str) -> float:
    special = {"+Inf": math.inf, "-Inf": -math.inf, "NaN": math.nan}
    if text in special:
        return special[text]
    return float(text)


def parse_prometheus(text: str) -> dict[str, Family]:
    """Parse the Prometheus text exposition format (0.0.4) strictly.

    Raises ``ValueError`` on a malformed line, a sample of no declared family, or a
    TYPE given twice or after the family's samples.
    """
    families: dict[str, Family] = {}

    def family_of(sample_name: str) -> Family:
        if sample_name in families:
            return families[sample_name]
        for fam in families.values():
            for suffix in _SUFFIXES.get(fam.type, ()):
                if suffix and sample_name == fam.name + suffix:
                    return fam
        raise ValueError(f"sample {sample_name!r} belongs to no declared metric family")

    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                if not re.fullmatch(_METRIC_NAME, parts[2]):
                    raise ValueError(f"line {number}: bad metric name {parts[2]!r}")
                fam = families.setdefault(parts[2], Family(parts[2]))
                if parts[1] == "HELP":
                    fam.help = parts[3] if len(parts) > 3 else ""
                else:
                    kind = parts[3].strip() if len(parts) > 3 else ""
                    if kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        raise ValueError(f"line {number}: unknown metric type {kind!r}")
                    if fam.samples or fam.type != "untyped":
                        raise ValueError(f"line {number}: TYPE of {fam.name} given late or twice")
                    fam.type = kind
            continue
        match = re.match(rf"({_METRIC_NAME})(\{{.*\}})?\s+(\S+)(\s+-?\d+)?\s*$", line)
        if not match:
            raise ValueError(f"line {number}: not a sample: {line!r}")
        name, raw_labels, raw_value = match.group(1), match.group(2), match.group(3)
        labels: dict[str, str] = {}
        if raw_labels:
            inner, pos = raw_labels[1:-1], 0
            while pos < len(inner):
                m = _LABEL.match(inner, pos)
                if not m:
                    raise ValueError(f"line {number}: bad labels {raw_labels!r}")
                if m.group(1) in labels:
                    raise ValueError(f"line {number}: label {m.group(1)} repeated")
                labels[m.group(1)] = _unescape(m.group(2))
                pos = m.end()
        try:
            value = _parse_value(raw_value)
        except ValueError:
            raise ValueError(f"line {number}: bad value {raw_value!r}") from None
        family_of(name).samples.append(Sample(name, labels, value))
    return families


def sample_value(families: dict[str, Family], name: str, default: float | None = None, **labels: str) -> float:
    """The value of the one sample ``name`` whose labels include ``labels``."""
    found = [s.value for fam in families.values() for s in fam.samples
             if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    if not found and default is not None:
        return default
    assert len(found) == 1, f"{len(found)} samples {name}{labels}"
    return found[0]


def connection_to_worker(port: int, pid: int, tries: int = 300, timeout: float = 60.0) -> socket.socket:
    """A keep-alive connection served by worker ``pid``: new connections are opened until
    the kernel hands one to that worker's socket (bounded by ``tries``)."""
    for _ in range(tries):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.sendall(request_head("/pid", close=False))
        r = read_response(sock)
        if r.status == 200 and json.loads(r.body)["pid"] == pid:
            return sock
        sock.close()
    pytest.fail(f"no connection reached worker {pid} in {tries} tries")
