"""WebSocket benchmark: echo round trips and 10,000 idle sockets with a broadcast.

    .venv/bin/python bench/ws_bench.py [--conns 64] [--duration 10] [--idle 10000]

Each server is pinned to one core and driven by the Go client in bench/wsload on the
other: django-bolt (the example project's chat room, one room per connection, so each
message comes back as the room's JSON), the ceiling (bench/wsceiling: the same
WebSocket library, no Python) and FastAPI/uvicorn (bench/peers/fastapi_ws_app.py,
when bench/.venv exists). Reports messages per second, server CPU microseconds per
message, and for django-bolt and the ceiling the peak RSS with --idle open sockets and
the time for all of them to receive one broadcast. Writes bench/results/websockets.md.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import procstat  # noqa: E402
from lib.servers import HOST, PEER_PYTHON, PEERS, ROOT, WRK_CPU, Context, Server, ServerSpec, SPECS  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _ceiling_ws(binary: Path):
    def command(ctx: Context, port: int):
        return [str(binary), "-addr", f"{HOST}:{port}"], ROOT, {}
    return command


def _fastapi_ws(ctx: Context, port: int):
    argv = [str(PEER_PYTHON), "-m", "uvicorn", "fastapi_ws_app:app", "--host", HOST, "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log"]
    return argv, PEERS, {"PYTHONPATH": str(PEERS)}


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_load(client: Path, *args: str) -> dict:
    run = subprocess.run(["taskset", "-c", str(WRK_CPU), str(client), *args], capture_output=True, text=True)
    if not run.stdout.strip():
        raise RuntimeError(run.stderr)
    return json.loads(run.stdout)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--duration", type=int, default=10, help="seconds of echo per server")
    p.add_argument("--idle", type=int, default=10000, help="idle sockets for the broadcast test (0: skip)")
    args = p.parse_args()
    rows, scale = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        client, ceiling = tmpdir / "wsload", tmpdir / "wsceiling"
        subprocess.run(["go", "build", "-o", str(client), "./bench/wsload"], cwd=ROOT, check=True)
        subprocess.run(["go", "build", "-o", str(ceiling), "./bench/wsceiling"], cwd=ROOT, check=True)
        ctx = Context(db_path=tmpdir / "db.sqlite3", neutral_db_path=tmpdir / "n.sqlite3", ceiling_binary=None,
                      processes=1, log_dir=tmpdir)
        specs = [SPECS["bolt"], ServerSpec("ws-ceiling", "ceiling (bare fasthttp + same library)", True,
                                           _ceiling_ws(ceiling))]
        if PEER_PYTHON.exists():
            specs.append(ServerSpec("fastapi-ws", "FastAPI (uvicorn)", True, _fastapi_ws))
        for spec in specs:
            server = Server(spec, ctx)
            try:
                server.wait_ready()
                pids = server.pids()
                url = f"ws://{HOST}:{server.port}/ws/rooms/{{i}}"
                before = procstat.cpu_seconds(pids)
                echo = run_load(client, "-mode", "echo", "-url", url, "-conns", str(args.conns),
                                "-duration", f"{args.duration}s")
                cpu = procstat.cpu_delta(before, procstat.cpu_seconds(server.pids()))
                rows.append((spec.label, echo["rate"], cpu / max(echo["messages"], 1) * 1e6, echo["errors"]))
                if args.idle and spec.key != "fastapi-ws":
                    base = sum(_rss_kib(pid) for pid in server.pids()) / 1024
                    procstat.reset_peak_rss(server.pids())
                    bc = run_load(client, "-mode", "broadcast", "-url", f"ws://{HOST}:{server.port}/ws/rooms/1",
                                  "-conns", str(args.idle), "-idle", "5s")
                    rss = procstat.peak_rss_kib(server.pids()) / 1024
                    scale.append((spec.label, bc["conns"], bc["received"], bc["seconds"], base, rss))
            finally:
                server.stop()
    lines = [
        "# WebSockets", "",
        f"Echo round trips: {args.conns} connections, {args.duration} s, each server pinned to one core, "
        "the Go client on the other. Each message goes through the chat room (`/ws/rooms/{n}`, one room "
        "per connection) and comes back as its JSON.", "",
        "| server | messages/s | server CPU µs/message | errors |", "|---|--:|--:|--:|",
        *[f"| {name} | {rate:,.0f} | {us:.1f} | {errors} |" for name, rate, us, errors in rows],
    ]
    if scale:
        lines += ["", f"{args.idle} idle sockets in one room, then one message broadcast to all:", "",
                  "| server | open | received | seconds to deliver all | RSS before | peak RSS | per socket |",
                  "|---|--:|--:|--:|--:|--:|--:|",
                  *[f"| {name} | {n} | {got} | {secs:.2f} | {base:.0f} MB | {rss:.0f} MB "
                    f"| {(rss - base) * 1024 / max(n, 1):.1f} KiB |"
                    for name, n, got, secs, base, rss in scale]]
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "websockets.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
