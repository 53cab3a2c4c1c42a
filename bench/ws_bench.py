"""WebSocket benchmark: echo round trips and 10,000 idle sockets with a broadcast.

    .venv/bin/python bench/ws_bench.py [--conns 64] [--duration 10] [--idle 10000]
    .venv/bin/python bench/ws_bench.py --quick     # smoke run: every server answers

Each server is pinned to one core and driven by the Go client in bench/wsload on the
other: django-bolt (the example project's chat room, one room per connection, so each
message comes back as the room's JSON), the ceiling (bench/wsceiling: the same
WebSocket library, no Python) and FastAPI/uvicorn (bench/peers/fastapi_ws_app.py,
when bench/.venv exists), one after the other in the same run. Reports messages per
second, server CPU microseconds per message, and for django-bolt and the ceiling the
peak RSS with --idle open sockets and the time for all of them to receive one
broadcast; then django-bolt's figures against the targets (CPU per message at most
2× the ceiling's, messages per second at least 5× FastAPI's, peak RSS at most 150 MB,
the broadcast delivered within 2 s).

Writes bench/results/websockets.md and, when bench/run.py has written
bench/results/latest.md, puts the same section at its end (`make bench` runs both).
A --quick run writes bench/results/raw/websockets-quick.md only. The exit status is 1
when a server fails to start, a connection fails or a broadcast does not reach every
socket.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import machine, procstat  # noqa: E402
from lib.servers import HOST, PEER_PYTHON, PEERS, ROOT, WRK_CPU, Context, Server, ServerSpec, SPECS  # noqa: E402

RESULTS = ROOT / "bench" / "results"
# The section this script owns at the end of bench/run.py's report.
BEGIN, END = "<!-- websockets: bench/ws_bench.py -->", "<!-- /websockets -->"

# Targets for django-bolt: CPU per message over the ceiling's, messages per second over
# FastAPI's, peak RSS with the idle sockets open, seconds to deliver the broadcast.
MAX_CPU_RATIO, MIN_RATE_RATIO, MAX_PEAK_MB, MAX_BROADCAST_S = 2.0, 5.0, 150.0, 2.0
TARGET_SOCKETS = 10000


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


def measure(args, client: Path, ceiling: Path, tmpdir: Path) -> tuple[list, list, list[str]]:
    """Echo rows (key, label, rate, µs/message, errors), broadcast rows (key, label, open,
    received, seconds, RSS before MB, peak RSS MB) and failures."""
    ctx = Context(db_path=tmpdir / "db.sqlite3", neutral_db_path=tmpdir / "n.sqlite3", ceiling_binary=None,
                  processes=1, log_dir=tmpdir)
    specs = [SPECS["bolt"], ServerSpec("ws-ceiling", "ceiling (bare fasthttp + same library)", True,
                                       _ceiling_ws(ceiling))]
    if PEER_PYTHON.exists():
        specs.append(ServerSpec("fastapi-ws", "FastAPI (uvicorn)", True, _fastapi_ws))
    echo_rows, scale_rows, failures = [], [], []
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
            echo_rows.append((spec.key, spec.label, echo["rate"], cpu / max(echo["messages"], 1) * 1e6,
                              echo["errors"]))
            if echo["errors"] or not echo["messages"]:
                failures.append(f"{spec.label}: {echo['errors']} echo connections failed, "
                                f"{echo['messages']} messages")
            if args.idle and spec.key != "fastapi-ws":
                base = sum(_rss_kib(pid) for pid in server.pids()) / 1024
                procstat.reset_peak_rss(server.pids())
                bc = run_load(client, "-mode", "broadcast", "-url", f"ws://{HOST}:{server.port}/ws/rooms/1",
                              "-conns", str(args.idle), "-idle", args.hold)
                rss = procstat.peak_rss_kib(server.pids()) / 1024
                scale_rows.append((spec.key, spec.label, bc["conns"], bc["received"], bc["seconds"], base, rss))
                if bc["received"] != args.idle:
                    failures.append(f"{spec.label}: {bc['conns']} of {args.idle} sockets opened, "
                                    f"{bc['received']} received the broadcast")
        except Exception as exc:  # a server that fails is reported, the others still run
            failures.append(f"{spec.label}: {exc}")
        finally:
            server.stop()
    return echo_rows, scale_rows, failures


def targets(echo_rows: list, scale_rows: list, idle: int) -> list[str]:
    """The target table: django-bolt against the ceiling, FastAPI and the limits."""
    echo = {key: (rate, us) for key, _, rate, us, _ in echo_rows}
    scale = {key: (secs, rss) for key, _, _, _, secs, _, rss in scale_rows}
    rows = []

    def row(what: str, value: str, target: str, met: bool | None) -> None:
        verdict = "" if met is None else "yes" if met else "**no**"
        rows.append(f"| {what} | {value} | {target} | {verdict} |")

    if "bolt" in echo and "ws-ceiling" in echo:
        ratio = echo["bolt"][1] / max(echo["ws-ceiling"][1], 1e-9)
        row("CPU per message ÷ the ceiling's", f"{ratio:.2f}×", f"≤ {MAX_CPU_RATIO:g}×", ratio <= MAX_CPU_RATIO)
    if "bolt" in echo and "fastapi-ws" in echo:
        ratio = echo["bolt"][0] / max(echo["fastapi-ws"][0], 1e-9)
        row("messages/s ÷ FastAPI's", f"{ratio:.2f}×", f"≥ {MIN_RATE_RATIO:g}×", ratio >= MIN_RATE_RATIO)
        cpu = echo["fastapi-ws"][1] / max(echo["bolt"][1], 1e-9)
        row("FastAPI's CPU per message ÷ ours (for reference)", f"{cpu:.2f}×", "", None)
    if "bolt" in scale:
        # The targets are for 10,000 sockets; a smaller run only shows the figures.
        full = idle >= TARGET_SOCKETS
        secs, rss = scale["bolt"]
        row(f"peak RSS with {idle:,} idle sockets open", f"{rss:.0f} MB",
            f"≤ {MAX_PEAK_MB:g} MB at {TARGET_SOCKETS:,}", rss <= MAX_PEAK_MB if full else None)
        row(f"broadcast delivered to all {idle:,}", f"{secs:.2f} s", f"≤ {MAX_BROADCAST_S:g} s at {TARGET_SOCKETS:,}",
            secs <= MAX_BROADCAST_S if full else None)
    if not rows:
        return []
    return ["| django-bolt | measured | target | met |", "|---|--:|--:|:-:|", *rows]


def render(args, echo_rows: list, scale_rows: list, failures: list[str], load: tuple) -> str:
    lines = [
        "## WebSockets", "",
        f"`bench/ws_bench.py`: echo round trips over {args.conns} connections for {args.duration} s per "
        "server, each server pinned to one core and the Go client (`bench/wsload`) on the other, one server "
        "after the other. Each message goes through the example project's chat room (`/ws/rooms/{n}`, one "
        "room per connection) and comes back as its JSON; the ceiling (`bench/wsceiling`) echoes it with the "
        "same WebSocket library and no Python. Server CPU is user + system time of all its processes over "
        "the run, divided by the messages echoed: on a shared machine it is steadier than messages per "
        "second, which also measure how soon the client gets the CPU back.", "",
        "| server | messages/s | server CPU µs/message | errors |", "|---|--:|--:|--:|",
        *[f"| {label} | {rate:,.0f} | {us:.1f} | {errors} |" for _, label, rate, us, errors in echo_rows],
    ]
    if scale_rows:
        lines += ["", f"{args.idle:,} sockets open in one room and idle for {args.hold}, then one message "
                  "broadcast to all; RSS of all the server's processes, peak over the whole test:", "",
                  "| server | open | received | seconds to deliver all | RSS before | peak RSS | per socket |",
                  "|---|--:|--:|--:|--:|--:|--:|",
                  *[f"| {label} | {n:,} | {got:,} | {secs:.2f} | {base:.0f} MB | {rss:.0f} MB "
                    f"| {(rss - base) * 1024 / max(n, 1):.1f} KiB |"
                    for _, label, n, got, secs, base, rss in scale_rows]]
    table = targets(echo_rows, scale_rows, args.idle)
    if table:
        lines += ["", "Targets:", "", *table]
    lines += ["", f"Load average (1, 5, 15 min) {load[0]} at the start, {load[1]} at the end."]
    if failures:
        lines += ["", "Failures:", "", *[f"- {f}" for f in failures]]
    return "\n".join(lines) + "\n"


def add_to_report(section: str, report: Path) -> None:
    """Put the section at the end of bench/run.py's report, replacing an earlier one."""
    if not report.exists():
        return
    text = report.read_text()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)].rstrip("\n") + "\n" + text[text.index(END) + len(END):].lstrip("\n")
    report.write_text(text.rstrip("\n") + f"\n\n{BEGIN}\n{section}{END}\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conns", type=int, default=64)
    p.add_argument("--duration", type=int, default=10, help="seconds of echo per server")
    p.add_argument("--idle", type=int, default=10000, help="idle sockets for the broadcast test (0: skip)")
    p.add_argument("--hold", default="5s", help="how long the idle sockets stay open before the broadcast")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 s of echo, 200 idle sockets")
    args = p.parse_args()
    if args.quick:
        args.conns, args.duration, args.idle, args.hold = 8, 1, 200, "1s"
    load_start = machine.load_average()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        client, ceiling = tmpdir / "wsload", tmpdir / "wsceiling"
        subprocess.run(["go", "build", "-o", str(client), "./bench/wsload"], cwd=ROOT, check=True)
        subprocess.run(["go", "build", "-o", str(ceiling), "./bench/wsceiling"], cwd=ROOT, check=True)
        echo_rows, scale_rows, failures = measure(args, client, ceiling, tmpdir)
    section = render(args, echo_rows, scale_rows, failures, (load_start, machine.load_average()))
    if args.quick:
        (RESULTS / "raw").mkdir(parents=True, exist_ok=True)
        (RESULTS / "raw" / "websockets-quick.md").write_text(section)
    else:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "websockets.md").write_text(section)
        add_to_report(section, RESULTS / "latest.md")
    print(section)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
