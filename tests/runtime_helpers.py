"""Shared helpers of the production-runtime tests (``test_runtime_*.py``).

Servers are started as users start them, by the shared machinery of ``servers.py``:
``manage.py runbolt`` in ``tests/runtime_project`` (or a copy of it), with the
virtualenv's interpreter. runbolt execs the Go binary, so the subprocess's pid is the
supervisor's; its worker processes are its children. Every server a test starts is
stopped at teardown, supervisor and every worker, even when the test fails.

Per-test ``BOLT_*`` settings reach the project through ``RUNTIME_SETTINGS_JSON``.
"""

from __future__ import annotations

import json
import math
import re
import socket
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .servers import SSL_CONTEXT, RunboltServer, ServerGroup, TESTS_DIR, run_to_exit, server_env, group_fixture
from .servers import copy_project as _copy_project
from .servers import (  # noqa: F401 (re-exported for the test modules)
    PYTHON, REPO, START_TIMEOUT, STOP_TIMEOUT, Finished, Outcome, RequestLoop, alive, children_of, environ_of,
    free_port, group_members, wait_until,
)

RUNTIME_PROJECT = TESTS_DIR / "runtime_project"


# --- small utilities -----------------------------------------------------------------


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def runtime_env(settings: dict[str, Any] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a runtime-project server with ``settings`` as Django settings.

    GOMAXPROCS is removed unless given, so the supervisor's own choice is what runs.
    """
    # No __pycache__ in the repository, no stale bytecode.
    values = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    if settings:
        values["RUNTIME_SETTINGS_JSON"] = json.dumps(settings)
    return server_env("GOMAXPROCS", "RUNTIME_SETTINGS_JSON", **{**values, **extra})


def copy_project(dst: Path) -> Path:
    """A private copy of the runtime project, for tests that edit its code."""
    return _copy_project(RUNTIME_PROJECT, dst)


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


# --- servers ---------------------------------------------------------------------------


class RuntimeServer(RunboltServer):
    """One ``manage.py runbolt`` process: the supervisor, once runbolt has exec'd. Ready
    once ``/`` answers 200 and every worker waited for logged "serving"."""

    term_timeout = 10.0
    ready_status = 200
    ready_workers = 1

    def __init__(self, project: Path, args: tuple[str, ...], env: dict[str, str], log_path: Path) -> None:
        super().__init__(project, args, env, log_path)
        # One client for the test's requests; "connection: close" gives each request a
        # fresh connection, so any worker may answer it.
        self.http = httpx.Client(headers={"connection": "close"}, timeout=15.0, verify=SSL_CONTEXT)

    def request(self, method: str, path: str, timeout: float = 15.0, **kwargs) -> httpx.Response:
        """One request on a fresh connection (so any worker may answer it)."""
        return self.http.request(method, self.url(path), timeout=timeout, **kwargs)

    def worker_pid(self) -> int:
        r = self.get("/pid")
        assert r.status_code == 200, r.text
        return r.json()["pid"]

    def stop(self) -> None:
        super().stop()
        self.http.close()


class ServerPool(ServerGroup):
    """Starts runtime servers and stops all of them at teardown."""

    def __init__(self, log_dir: Path) -> None:
        super().__init__(log_dir, RuntimeServer, "runbolt")

    def start(self, *args: str, settings: dict[str, Any] | None = None, project: Path = RUNTIME_PROJECT,
              env: dict[str, str] | None = None, wait: bool = True, workers: int = 1) -> RuntimeServer:
        return self.launch(project, args, env if env is not None else runtime_env(settings), wait=wait,
                           workers=workers)


runtime = group_fixture(ServerPool, doc="Servers for one test, all stopped when it ends.")
module_runtime = group_fixture(
    ServerPool, "module", "runtime-logs", doc="Servers shared by the tests of one module, stopped after its last test.")


def run_runbolt(*args: str, settings: dict[str, Any] | None = None, project: Path = RUNTIME_PROJECT,
                timeout: float = 90.0, port: int | None = None) -> Finished:
    """Run ``manage.py runbolt`` expecting it to end by itself within ``timeout``."""
    with tempfile.TemporaryDirectory() as tmp:
        done = run_to_exit(project, args, runtime_env(settings), Path(tmp) / "runbolt.log", timeout, port=port)
    if done.returncode is None:
        pytest.fail(f"runbolt was still running after {timeout:g}s:\n{done.output}")
    return done


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
