"""What a result was measured on: machine, tools and code version."""
from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

from . import wrk
from .servers import BOLT312_PYTHON, ORIGINAL_PYTHON, PEER_PYTHON, PROJECT_PYTHON, ROOT


def _run(argv: list[str], cwd: Path = ROOT) -> str:
    try:
        out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _python_packages(python: Path, names: list[str]) -> dict[str, str]:
    if not python.exists():
        return {}
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {'python': sys.version.split()[0]}\n"
            f"for n in {names!r}:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    text = _run([str(python), "-c", code])
    return json.loads(text) if text else {}


def describe() -> dict:
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    dirty = bool(_run(["git", "status", "--porcelain", "--untracked-files=no"]))
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "commit": commit + (" (with uncommitted changes)" if dirty and commit else ""),
        "wrk": wrk.version(),
        "go": _run(["go", "env", "GOVERSION"]),
        "project": _python_packages(PROJECT_PYTHON, ["django", "msgspec"]),
        "peers": _python_packages(PEER_PYTHON, ["django", "fastapi", "starlette", "pydantic",
                                                "uvicorn", "uvloop", "httptools",
                                                "django-ninja", "litestar"]),
        "original": _python_packages(ORIGINAL_PYTHON, ["django-bolt", "django", "msgspec"]),
        "bolt312": _python_packages(BOLT312_PYTHON, ["django", "msgspec"]),
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()
