"""The servers under test: how to start each one, wait for it, and stop it."""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import procstat

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
PROJECT = ROOT / "python" / "examples" / "testproject"
PEERS = BENCH / "peers"
BOLT_BINARY = ROOT / "python" / "django_bolt" / "bin" / "bolt-server"
SAMPLE_FILE = PROJECT / "testproject" / "static_files" / "sample.txt"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"
PEER_PYTHON = BENCH / ".venv" / "bin" / "python"
# The neutral project (bench/neutral) is served unchanged by the original Django-Bolt
# and by ours, both on Python 3.12 (the original needs it), each from its own
# virtualenv made by bench/setup.sh.
NEUTRAL = BENCH / "neutral"
ORIGINAL_PYTHON = BENCH / ".venv-original" / "bin" / "python"
BOLT312_PYTHON = BENCH / ".venv-bolt312" / "bin" / "python"
HOST = "127.0.0.1"

# Pinned runs give the server one core and wrk the other, so neither steals the
# other's CPU and the server's CPU time per request is not inflated by contention.
SERVER_CPU, WRK_CPU = 1, 0


@dataclass
class Context:
    """What the start commands need to know about this run."""
    db_path: Path
    neutral_db_path: Path
    ceiling_binary: Path | None
    processes: int  # for the multi-process django-bolt run
    log_dir: Path


@dataclass(frozen=True)
class ServerSpec:
    key: str
    label: str
    pinned: bool
    # (ctx, port) -> (argv, cwd, extra environment)
    command: Callable[[Context, int], tuple[list[str], Path, dict[str, str]]]
    needs: tuple[Path, ...] = ()  # files that must exist, with the hint to make them
    hint: str = ""
    # Endpoint names this server is driven on (None: all). The routing-growth
    # variants only serve to measure one route under a bigger route table.
    only: tuple[str, ...] | None = None


def _project_env(ctx: Context) -> dict[str, str]:
    # DEBUG off everywhere: with it Django keeps every SQL query in memory and
    # takes slower paths, which no one benchmarks for production.
    return {"TESTPROJECT_DB": str(ctx.db_path), "DJANGO_DEBUG": "0"}


def _bolt(processes: Callable[[Context], int]):
    def command(ctx: Context, port: int):
        argv = [str(PROJECT_PYTHON), "manage.py", "runbolt", "--host", HOST, "--port", str(port),
                "--processes", str(processes(ctx))]
        return argv, PROJECT, _project_env(ctx)
    return command


def _neutral(python: Path, routes: int = 10):
    """A runbolt of the neutral project; `routes` filler routes beside the measured ones."""
    def command(ctx: Context, port: int):
        argv = [str(python), "manage.py", "runbolt", "--host", HOST, "--port", str(port), "--processes", "1"]
        return argv, NEUTRAL, {"BENCH_DB": str(ctx.neutral_db_path), "BENCH_ROUTES": str(routes)}
    return command


def _bolt_base(ctx: Context, port: int):
    """The example project served by another checkout (BOLT_BASE, built with `make build`)."""
    base = Path(os.environ["BOLT_BASE"])
    argv = [str(base / ".venv" / "bin" / "python"), "manage.py", "runbolt", "--host", HOST,
            "--port", str(port), "--processes", "1"]
    return argv, base / "python" / "examples" / "testproject", _project_env(ctx)


def _base_bolt312_python() -> Path:
    return Path(os.environ.get("BOLT_BASE", "/nonexistent")) / "bench" / ".venv-bolt312" / "bin" / "python"


def _ceiling(ctx: Context, port: int):
    assert ctx.ceiling_binary is not None
    argv = [str(ctx.ceiling_binary), "-addr", f"{HOST}:{port}", "-file", str(SAMPLE_FILE)]
    # Django's admin static files, which django-bolt serves at /static/admin/...
    admin_static = next((ROOT / ".venv" / "lib").glob("python3*/site-packages/django/contrib/admin/static"), None)
    if admin_static:
        argv += ["-static", str(admin_static)]
    return argv, ROOT, {}


def _uvicorn(app: str, settings: str = "peer_settings"):
    def command(ctx: Context, port: int):
        argv = [str(PEER_PYTHON), "-m", "uvicorn", app, "--host", HOST, "--port", str(port),
                "--workers", "1", "--log-level", "warning", "--no-access-log"]
        env = _project_env(ctx)
        # The peers run against the example project's own models and database.
        env["PYTHONPATH"] = os.pathsep.join([str(PEERS), str(PROJECT)])
        env["DJANGO_SETTINGS_MODULE"] = settings
        return argv, PEERS, env
    return command


_PEER_HINT = "run bench/setup.sh to create bench/.venv"
SPECS: dict[str, ServerSpec] = {s.key: s for s in [
    ServerSpec("bolt", "django-bolt", True, _bolt(lambda ctx: 1),
               (BOLT_BINARY,), "run `make build`"),
    ServerSpec("ceiling", "ceiling (bare fasthttp)", True, _ceiling),
    ServerSpec("fastapi", "FastAPI (uvicorn)", True, _uvicorn("fastapi_app:app"),
               (PEER_PYTHON,), _PEER_HINT),
    ServerSpec("ninja", "Django Ninja (uvicorn)", True, _uvicorn("ninja_app.asgi:application"),
               (PEER_PYTHON,), _PEER_HINT),
    # Not in the default run: Ninja without Django's middleware, to show what the
    # middleware of a new Django project costs it (bench/README.md, fairness notes).
    ServerSpec("ninja-bare", "Django Ninja, no middleware (uvicorn)", True,
               _uvicorn("ninja_app.asgi:application", "peer_settings_bare"), (PEER_PYTHON,), _PEER_HINT),
    ServerSpec("litestar", "Litestar (uvicorn)", True, _uvicorn("litestar_app:app"),
               (PEER_PYTHON,), _PEER_HINT),
    ServerSpec("original", "Django-Bolt 0.13 (original, Py 3.12)", True, _neutral(ORIGINAL_PYTHON),
               (ORIGINAL_PYTHON,), _PEER_HINT),
    ServerSpec("bolt312", "django-bolt (neutral project, Py 3.12)", True, _neutral(BOLT312_PYTHON),
               (BOLT312_PYTHON,), _PEER_HINT),
    ServerSpec("bolt312-r100", "django-bolt, 100 routes", True, _neutral(BOLT312_PYTHON, 100),
               (BOLT312_PYTHON,), _PEER_HINT, only=("item",)),
    ServerSpec("bolt312-r1000", "django-bolt, 1,000 routes", True, _neutral(BOLT312_PYTHON, 1000),
               (BOLT312_PYTHON,), _PEER_HINT, only=("item",)),
    # Not in the default run: before/after comparisons of a change, interleaved in one
    # run (BOLT_BASE=/path/to/other/checkout, which has run `make build`).
    ServerSpec("bolt-base", "django-bolt (BOLT_BASE checkout)", True, _bolt_base,
               (Path(os.environ.get("BOLT_BASE", "/nonexistent")) / ".venv" / "bin" / "python",),
               "set BOLT_BASE to a checkout that has run `make build`"),
    # The same for the neutral project on Python 3.12 (the json-*, chunks-* and other
    # rows only it serves): BOLT_BASE's bench/.venv-bolt312, which its bench/setup.sh makes.
    ServerSpec("bolt312-base", "django-bolt (neutral project, Py 3.12, BOLT_BASE checkout)", True,
               _neutral(_base_bolt312_python()), (_base_bolt312_python(),),
               "set BOLT_BASE to a checkout that has run bench/setup.sh"),
    # Not pinned: several processes are only worth measuring with both cores.
    ServerSpec("bolt-mp", "django-bolt, N processes, unpinned", False,
               _bolt(lambda ctx: ctx.processes), (BOLT_BINARY,), "run `make build`"),
]}


def label(key: str, processes: int) -> str:
    if key == "bolt-mp":
        return f"django-bolt ×{processes} processes (unpinned)"
    return SPECS[key].label


_given: set[int] = set()


def free_port() -> int:
    """A port free now and not handed to another server of this run: the kernel may
    offer a just-released port again before the server it went to has bound it."""
    while True:
        with socket.socket() as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _given:
            _given.add(port)
            return port


def build_ceiling(out_dir: Path) -> Path:
    if not shutil.which("go"):
        raise RuntimeError("the ceiling server needs Go (go build ./bench/ceiling)")
    binary = out_dir / "ceiling"
    subprocess.run(["go", "build", "-o", str(binary), "./bench/ceiling"], cwd=ROOT, check=True)
    return binary


class Server:
    """One running server process (and its children)."""

    def __init__(self, spec: ServerSpec, ctx: Context):
        self.spec = spec
        self.port = free_port()
        argv, cwd, extra = spec.command(ctx, self.port)
        if spec.pinned:
            # taskset execs the server, so every thread and child inherits the CPU.
            argv = ["taskset", "-c", str(SERVER_CPU)] + argv
        self.log_path = ctx.log_dir / f"{spec.key}.log"
        self._log = open(self.log_path, "wb")
        # Own session: the whole server tree can be signalled without touching ours.
        self.proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **extra},
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def pids(self) -> list[int]:
        return procstat.tree(self.pid)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.spec.key} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                request(self.port, "GET", "/", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.spec.key} did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            pids = self.pids()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            # Workers that outlived their supervisor: end them one by one, by pid,
            # checking the pid still belongs to this server's session (not reused).
            for pid in pids[1:]:
                try:
                    if os.getsid(pid) == self.pid:
                        os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._log.close()


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    """One plain request (redirects are not followed): (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()
