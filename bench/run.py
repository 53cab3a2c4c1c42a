#!/usr/bin/env python3
"""django-bolt benchmark suite.

Starts each server on loopback, warms it up, drives every endpoint with wrk, and
reports requests per second, latency, the server's CPU time per request and its
peak memory. Servers: django-bolt, a bare fasthttp "ceiling" answering the same
bytes (bench/ceiling), FastAPI and Django Ninja on uvicorn (bench/peers), and
django-bolt with several processes.

    bench/setup.sh                              # once per machine: wrk, bench/.venv
    .venv/bin/python bench/run.py               # full run
    .venv/bin/python bench/run.py --quick       # smoke run for CI (under a minute)
    .venv/bin/python bench/run.py --only core --servers bolt,ceiling
    .venv/bin/python bench/run.py --save        # keep as DEV.md, previous DEV as BASELINE
    .venv/bin/python bench/run.py --only views --report views   # results/views.md, latest.md untouched

Writes bench/results/latest.md (+ latest.json, charts) and prints the table; a
--quick run writes bench/results/raw/quick.md instead, leaving real results alone. Only
the standard library is needed; charts use matplotlib from bench/.venv when present.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import machine, payloads, report, servers  # noqa: E402
from lib.endpoints import select  # noqa: E402
from lib.measure import Request, drive, probe  # noqa: E402
from lib.servers import SPECS, Context, Server  # noqa: E402

RESULTS = servers.BENCH / "results"
DEFAULT_SERVERS = "bolt,ceiling,fastapi,ninja,litestar,original,bolt312,bolt312-r100,bolt312-r1000,bolt-mp"
# Servers from bench/.venv*: a default run goes on without them on a machine not set up.
PEERS = {"fastapi", "ninja", "litestar", "original", "bolt312", "bolt312-r100", "bolt312-r1000"}
NEUTRAL_SERVERS = ("original", "bolt312", "bolt312-r100", "bolt312-r1000", "bolt312-base")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-c", "--connections", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("-d", "--duration", type=int, default=5, help="seconds per measurement (default 5)")
    p.add_argument("--rounds", type=int, default=2, help="rounds, interleaved across servers (default 2)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up seconds before the first round (default 1)")
    p.add_argument("--only", help="comma-separated endpoints or tags (core, stream, orm, auth, views, middleware, "
                                         "serializer, static, growth); default all")
    p.add_argument("--servers", help=f"comma-separated, from {', '.join(SPECS)} (default {DEFAULT_SERVERS})")
    p.add_argument("--processes", type=int, default=2,
                   help="processes of the unpinned django-bolt run, bolt-mp (default 2)")
    p.add_argument("--save", action="store_true",
                   help="also write results/DEV.md, moving the previous one to BASELINE.md, "
                        "and print the difference")
    p.add_argument("--quick", action="store_true",
                   help="smoke run for CI: 1 round of 2 s, no warm-up, all servers driven at "
                        "once; checks that everything starts and answers, not speed")
    p.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    p.add_argument("--report", default="latest", metavar="NAME",
                   help="write results/NAME.md and NAME.json (default latest); charts only for latest")
    args = p.parse_args(argv)
    if args.quick:
        # Every server × endpoint still gets a real wrk run, just a short one: the
        # point is that the whole path works, not the numbers.
        args.rounds, args.duration, args.warmup = 1, 2, 0
    if args.quick and (args.save or args.report != "latest"):
        p.error("--save and --report keep measurements, which a --quick run does not make")
    if not args.report.replace("-", "").replace("_", "").isalnum():
        p.error("--report takes a plain file name such as views-middleware")
    if args.duration < 1 or args.rounds < 1 or args.connections < 1 or args.processes < 1:
        p.error("--duration, --rounds, --connections and --processes must be at least 1")
    return args


def pick_servers(arg: str | None) -> tuple[list[str], list[str]]:
    """(server keys to run, notes about servers left out)."""
    keys = [k.strip() for k in (arg or DEFAULT_SERVERS).split(",") if k.strip()]
    unknown = [k for k in keys if k not in SPECS]
    if unknown:
        raise SystemExit(f"--servers: unknown {', '.join(unknown)} (known: {', '.join(SPECS)})")
    chosen, notes = [], []
    for k in keys:
        missing = [p for p in SPECS[k].needs if not p.exists()]
        if not missing:
            chosen.append(k)
        elif arg is None and k in PEERS:
            # The default run goes on without peers on a machine not set up for them.
            notes.append(f"{k} left out: {missing[0]} is missing ({SPECS[k].hint})")
        else:
            raise SystemExit(f"{k}: {missing[0]} is missing ({SPECS[k].hint})")
    return chosen, notes


def check_tools() -> None:
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: run bench/setup.sh")


def prepare_database(ctx: Context, keys: list[str]) -> None:
    """Fresh SQLite files for this run, migrated; rows are added by seed()."""
    env = {**os.environ, "TESTPROJECT_DB": str(ctx.db_path), "DJANGO_SETTINGS_MODULE": "testproject.settings"}
    subprocess.run([str(servers.PROJECT_PYTHON), "manage.py", "migrate", "--noinput", "-v0"],
                   cwd=servers.PROJECT, env=env, check=True)
    add_session(servers.PROJECT_PYTHON, servers.PROJECT, env)
    neutral = [k for k in keys if k in NEUTRAL_SERVERS]
    if neutral:
        python = servers.SPECS[neutral[0]].needs[0]
        env = {**os.environ, "BENCH_DB": str(ctx.neutral_db_path), "DJANGO_SETTINGS_MODULE": "neutral.settings"}
        subprocess.run([str(python), "manage.py", "migrate", "--noinput", "-v0"],
                       cwd=servers.NEUTRAL, env=env, check=True)
        add_session(python, servers.NEUTRAL, env)


def add_session(python: Path, cwd: Path, env: dict[str, str]) -> None:
    """The session the mw-session endpoint's cookie names, in the project's session
    table, so that the session middleware finds and decodes a real one."""
    code = (
        "import datetime, django; django.setup()\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from django.contrib.sessions.models import Session\n"
        "from django.utils import timezone\n"
        f"Session.objects.update_or_create(session_key={payloads.SESSION_KEY!r}, defaults={{\n"
        f"    'session_data': SessionStore().encode({payloads.SESSION_DATA!r}),\n"
        "    'expire_date': timezone.now() + datetime.timedelta(days=1)})\n"
    )
    subprocess.run([str(python), "-c", code], cwd=cwd, env=env, check=True)


def seed(ctx: Context, running: dict[str, Server]) -> None:
    neutral = next((s for k, s in running.items() if k in NEUTRAL_SERVERS), None)
    if neutral:
        status, body = servers.request(neutral.port, "GET", "/seed", timeout=60)
        if status != 200:
            raise RuntimeError(f"GET /seed (neutral project) answered {status}: {body[:200]!r}")
    bolt = next((s for k, s in running.items() if k in ("bolt", "bolt-mp")), None)
    if bolt:
        status, body = servers.request(bolt.port, "GET", "/users/seed", timeout=60)
        if status != 200:
            raise RuntimeError(f"GET /users/seed answered {status}: {body[:200]!r}")
        return
    # No django-bolt in this run: create the same rows with the project's own code.
    code = ("import asyncio, django; django.setup(); from users.api import seed_users; "
            "asyncio.run(seed_users())")
    env = {**os.environ, "TESTPROJECT_DB": str(ctx.db_path),
           "DJANGO_SETTINGS_MODULE": "testproject.settings"}
    subprocess.run([str(servers.PROJECT_PYTHON), "-c", code], cwd=servers.PROJECT, env=env, check=True)


def start_servers(keys: list[str], ctx: Context, cells: dict) -> dict[str, Server]:
    running: dict[str, Server] = {}
    # Start all, then wait for each: start-ups overlap.
    started = [(k, Server(SPECS[k], ctx)) for k in keys]
    for key, server in started:
        try:
            server.wait_ready()
            running[key] = server
            log(f"{key}: ready on port {server.port} (pid {server.pid})")
        except RuntimeError as exc:
            log(f"{key}: did not start\n{exc}")
            server.stop()
            for cell in cells[key].values():
                cell.update(status="error", note=f"server did not start: {str(exc).splitlines()[0]}")
    return running


def run_rounds(args, running: dict[str, Server], requests: dict[str, Request], cells: dict) -> None:
    (RESULTS / "raw").mkdir(parents=True, exist_ok=True)
    keys = list(running)
    if args.quick:
        # Smoke run: each server gets its own thread and they are driven at the same
        # time, so the whole suite takes a couple of dozen seconds. Servers compete
        # for the CPUs then, which is why --quick numbers mean nothing.
        def one_server(key: str) -> None:
            for name, req in requests.items():
                if name in cells[key]:
                    run_cell(args, 0, key, running[key], req, cells[key][name])
        with ThreadPoolExecutor(max_workers=len(keys) or 1) as pool:
            list(pool.map(one_server, keys))
        return
    for rnd in range(args.rounds):
        # Rotating the server order each round spreads any drift in machine load.
        order = keys[rnd % len(keys):] + keys[:rnd % len(keys)] if keys else []
        for name, req in requests.items():
            for key in order:
                if name in cells[key]:
                    run_cell(args, rnd, key, running[key], req, cells[key][name])


def run_cell(args, rnd: int, key: str, server: Server, req: Request, cell: dict) -> None:
    """One round of one endpoint on one server; the first round probes and warms up."""
    if cell["status"] != "ok":
        return
    name = req.endpoint.name
    where = f"[round {rnd + 1}/{args.rounds}] {name:<13} {key:<8}"
    try:
        if rnd == 0:
            verdict, note = probe(server, req)
            if verdict != "ok":
                cell.update(status=verdict, note=note)
                log(f"{where} {verdict}: {note}")
                return
            if args.warmup:
                drive(server, req, seconds=args.warmup, connections=args.connections)
        sample, text = drive(server, req, seconds=args.duration, connections=args.connections)
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
        cell.update(status="error", note=str(exc).splitlines()[0])
        log(f"{where} error: {exc}")
        return
    (RESULTS / "raw" / f"{key}-{name}-r{rnd + 1}.txt").write_text(text)
    cell["samples"].append(sample.to_json())
    log(f"{where} {sample.rps:>10,.0f} rps  p99 {sample.p99_ms:7.2f} ms  "
        f"{sample.cpu_us_per_req:7.1f} µs/req  non-2xx {sample.non_2xx}")


def render_charts(results_json: Path, out_dir: Path) -> list[str]:
    """Draw the PNGs with matplotlib, here or in bench/.venv; names of files made."""
    script = servers.BENCH / "lib" / "charts.py"
    try:
        import matplotlib  # noqa: F401
        python = sys.executable
    except ImportError:
        if not servers.PEER_PYTHON.exists():
            log("charts skipped: matplotlib is not installed (run bench/setup.sh)")
            return []
        python = str(servers.PEER_PYTHON)
    out = subprocess.run([python, str(script), str(results_json), str(out_dir)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        log(f"charts failed: {out.stderr.strip()}")
        return []
    return out.stdout.split()


def save(results: dict, markdown: str) -> None:
    """DEV is the latest saved run; the one it replaces becomes BASELINE."""
    dev_md, dev_json = RESULTS / "DEV.md", RESULTS / "DEV.json"
    if dev_md.exists():
        dev_md.replace(RESULTS / "BASELINE.md")
    if dev_json.exists():
        dev_json.replace(RESULTS / "BASELINE.json")
    dev_md.write_text(markdown)
    dev_json.write_text(json.dumps(results, indent=1))
    baseline = RESULTS / "BASELINE.json"
    if baseline.exists():
        print("\n## Difference from BASELINE\n")
        print(report.diff(json.loads(baseline.read_text()), results))
    else:
        print("\nSaved as DEV.md; there is no BASELINE to compare with yet.")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_tools()
    endpoints = select(args.only)
    keys, notes = pick_servers(args.servers)
    for note in notes:
        log(note)
    per_cell = args.rounds * args.duration + args.warmup
    runs = len(endpoints) if args.quick else len(keys) * len(endpoints)
    log(f"{len(keys)} servers × {len(endpoints)} endpoints, {args.rounds} × {args.duration} s "
        f"+ {args.warmup} s warm-up: about {runs * per_cell / 60:.1f} min of load")

    # raw/ holds this run's wrk reports and server logs only.
    shutil.rmtree(RESULTS / "raw", ignore_errors=True)
    started, t0 = dt.datetime.now(dt.timezone.utc), time.monotonic()
    load_start = machine.load_average()
    # Described before the run: the checkout may move on while it lasts.
    described = machine.describe()
    cells = {k: {e.name: {"server": k, "endpoint": e.name, "status": "ok", "note": "", "samples": []}
                 for e in endpoints if SPECS[k].only is None or e.name in SPECS[k].only} for k in keys}
    with tempfile.TemporaryDirectory(prefix="bolt-bench-") as tmp:
        work = Path(tmp)
        ctx = Context(db_path=work / "db.sqlite3", neutral_db_path=work / "neutral.sqlite3", ceiling_binary=None,
                      processes=args.processes, log_dir=work)
        if "ceiling" in keys:
            ctx.ceiling_binary = servers.build_ceiling(work)
        try:
            prepare_database(ctx, keys)
        except subprocess.CalledProcessError:
            log("a benchmark project failed to migrate (its output is above): nothing measured")
            return 2
        requests = {e.name: Request(e, work) for e in endpoints}
        running: dict[str, Server] = {}
        try:
            running = start_servers(keys, ctx, cells)
            seed(ctx, running)
            run_rounds(args, running, requests, cells)
        finally:
            for server in running.values():
                server.stop()
            raw = RESULTS / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for log_file in work.glob("*.log"):
                shutil.copy(log_file, raw / log_file.name)

    results = {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "elapsed_s": round(time.monotonic() - t0, 1),
            "load_start": load_start, "load_end": machine.load_average(),
            "machine": described,
            "settings": {"connections": args.connections, "duration": args.duration,
                         "rounds": args.rounds, "warmup": args.warmup, "quick": args.quick,
                         "processes": args.processes, "server_cpu": servers.SERVER_CPU,
                         "wrk_cpu": servers.WRK_CPU},
            "notes": notes,
        },
        "servers": [{"key": k, "label": servers.label(k, args.processes), "pinned": SPECS[k].pinned}
                    for k in keys],
        "endpoints": [{"name": e.name, "label": e.label, "expect": e.expect, "tags": list(e.tags)}
                      for e in endpoints],
        "cells": [cell for per_server in cells.values() for cell in per_server.values()],
    }
    # A smoke run's numbers are not results: they go to raw/, which is not kept.
    out_dir, stem = (RESULTS / "raw", "quick") if args.quick else (RESULTS, args.report)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_json = out_dir / f"{stem}.json"
    results_json.write_text(json.dumps(results, indent=1))
    # The charts' file names are fixed: a named report leaves latest's alone.
    charts = [] if args.no_charts or stem != "latest" else render_charts(results_json, out_dir)
    markdown = report.render(results)
    (out_dir / f"{stem}.md").write_text(report.render(results, charts))
    print(markdown)
    if args.save:
        save(results, markdown)

    failed = [c for c in results["cells"] if c["status"] in ("wrong", "error")]
    if failed:
        log(f"{len(failed)} server/endpoint pairs failed: see 'Not measured' in the report")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
