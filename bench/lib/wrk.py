"""Running wrk and reading its report."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent.parent / "lua" / "request.lua"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}  # to milliseconds
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk counts any status outside 200-399 here
    socket_errors: int


def version() -> str:
    out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    first = (out.stdout or out.stderr).splitlines()
    # "wrk 4.1.0 [epoll] Copyright (C) …": keep the name and version.
    return " ".join(first[0].split()[:2]) if first else "wrk (unknown version)"


def run(url: str, *, connections: int, seconds: int, method: str = "GET",
        body_file: Path | None = None, headers: dict[str, str] | None = None,
        cpu: int | None = None) -> tuple[WrkResult, str]:
    """Drive url for `seconds` with one wrk thread; returns the parsed result and
    wrk's own text (kept next to the results for checking)."""
    env = dict(os.environ)
    env["BENCH_METHOD"] = method
    env["BENCH_BODY_FILE"] = str(body_file) if body_file else ""
    env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())
    # One thread: on two cores the other one belongs to the server.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "--latency", "-s", str(LUA_SCRIPT), url]
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv
    proc = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=seconds + 60)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout}")
    return parse(proc.stdout), proc.stdout


def parse(text: str) -> WrkResult:
    """Parse wrk's --latency report (raises ValueError if it is not one)."""
    requests = _REQUESTS.search(text)
    rps = _RPS.search(text)
    if not requests or not rps:
        raise ValueError(f"not a wrk report:\n{text}")
    pct = {p: float(v) * _UNITS[u] for p, v, u in _PERCENTILE.findall(text)}
    non_2xx = _NON_2XX.search(text)
    socket = _SOCKET.search(text)
    return WrkResult(
        requests=int(requests.group(1)),
        seconds=float(requests.group(2)) * _UNITS[requests.group(3)] / 1e3,
        rps=float(rps.group(1)),
        p50_ms=pct.get("50", float("nan")),
        p99_ms=pct.get("99", float("nan")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )
