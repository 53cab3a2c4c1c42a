"""Scale test of streaming: many concurrent server-sent-event clients on one process.

    .venv/bin/python bench/sse_scale.py --clients 10000

Starts django-bolt (one process, pinned to one core) on the example project, holds
--clients streaming chat completions open at once with the Go client in
bench/sseload (pinned to the other core), and reports messages per second, errors
and the server's peak resident memory. Writes bench/results/sse.md and sse.json.
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
from lib.servers import ROOT, SPECS, WRK_CPU, Context, Server  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=10000)
    p.add_argument("--chunks", type=int, default=10, help="events per stream")
    p.add_argument("--delay-ms", type=int, default=1000, help="milliseconds between events")
    p.add_argument("--timeout", default="120s", help="bound on the client run (Go duration)")
    p.add_argument("--server", default="bolt", choices=("bolt", "bolt-base"),
                   help="bolt-base: the checkout in BOLT_BASE, for before/after comparisons")
    args = p.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ctx = Context(db_path=Path(tmp) / "db.sqlite3", neutral_db_path=Path(tmp) / "neutral.sqlite3",
                      ceiling_binary=None, processes=1, log_dir=Path(tmp))
        client = Path(tmp) / "sseload"
        subprocess.run(["go", "build", "-o", str(client), "./bench/sseload"], cwd=ROOT, check=True)
        server = Server(SPECS[args.server], ctx)
        try:
            server.wait_ready()
            worker = procstat.tree(server.pid)[-1]  # the supervisor's only worker
            # What the process holds before any stream: the per-stream figure is the rest.
            idle_mb = procstat.peak_rss_kib([worker]) / 1024
            run = subprocess.run(
                ["taskset", "-c", str(WRK_CPU), str(client), "-url", server.url("/v1/chat/completions"),
                 "-clients", str(args.clients), "-chunks", str(args.chunks), "-delay-ms", str(args.delay_ms),
                 "-timeout", args.timeout, "-pid", str(worker)],
                capture_output=True, text=True,
            )
            if not run.stdout.strip():
                print(run.stderr, file=sys.stderr)
                print(server.log_tail(), file=sys.stderr)
                return 1
            result = json.loads(run.stdout)
            result["server_idle_rss_mb"] = idle_mb
            if result.get("server_peak_rss_mb"):
                result["bytes_per_stream"] = (result["server_peak_rss_mb"] - idle_mb) * 2**20 / args.clients
        finally:
            server.stop()

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sse.json").write_text(json.dumps(result, indent=2) + "\n")
    table = "\n".join([
        "# Streaming scale test",
        "",
        f"{result['clients']} concurrent SSE clients (streaming chat completions, {args.chunks} events "
        f"{args.delay_ms} ms apart) against one django-bolt process pinned to one core; "
        "the Go client on the other core.",
        "",
        "| clients | completed | errors | messages | messages/s | open at peak | seconds to open all "
        "| server RSS before | server peak RSS | per stream |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {result['clients']} | {result['completed']} | {result['errors']} | {result['messages']} "
        f"| {result['messages_per_second']:.0f} | {result['open_streams_at_peak']} "
        f"| {result['seconds_to_open_all']:.1f} | {idle_mb:.0f} MB | {result.get('server_peak_rss_mb', 0):.0f} MB "
        f"| {result.get('bytes_per_stream', 0) / 1024:.1f} KiB |",
        "",
    ])
    if result.get("first_error"):
        table += f"\nFirst error: `{result['first_error']}`\n"
    (RESULTS / "sse.md").write_text(table)
    print(table)
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
