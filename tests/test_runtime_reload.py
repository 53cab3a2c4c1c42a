"""SIGHUP replaces the workers one by one without refusing a connection; new code that
cannot start leaves the previous workers serving."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx

from .runtime_helpers import (
    RequestLoop, alive, api_file, break_project, copy_project, new_token, set_version, wait_until,
)

RELOAD_TIMEOUT = 60


def test_sighup_under_load_replaces_every_worker_without_a_single_error(runtime):
    server = runtime.start("--processes", "2", workers=2)
    old = server.workers()
    assert len(old) == 2

    with RequestLoop(server, "/pid", threads=2, max_seconds=120) as loop:
        loop.wait_for(lambda lp: len(lp.ok()) >= 20, 30, "the loop to get going")
        server.signal(signal.SIGHUP)
        new = wait_until(lambda: (w := server.workers()) and not (w & old) and len(w) == 2 and w, RELOAD_TIMEOUT,
                         "the old workers to be replaced and gone")
        loop.wait_for(lambda lp: lp.pids() >= new, 30, "both new workers to answer the loop")
        served = len(loop.ok())
        loop.wait_for(lambda lp: len(lp.ok()) >= served + 20, 30, "more requests after the reload")

    assert loop.errors() == [], f"{len(loop.errors())} errors, first: {loop.errors()[:5]}\n{server.output()}"
    assert not any(alive(pid) for pid in old)
    # After the reload only the new workers answer.
    assert {server.worker_pid() for _ in range(20)} <= new
    assert server.running()


def test_sighup_lets_an_open_stream_finish_on_the_old_worker(runtime):
    server = runtime.start()
    [old] = server.workers()
    events = []
    with httpx.Client(timeout=30.0) as client:
        with client.stream("GET", server.url("/stream?n=8&ms=300")) as response:
            lines = (line for line in response.iter_lines() if line.startswith("data:"))
            events.append(next(lines))
            server.signal(signal.SIGHUP)
            wait_until(lambda: server.worker_pid() != old, RELOAD_TIMEOUT, "a new worker to answer")
            events += list(lines)
    assert events == [f"data: {i}" for i in range(8)]
    wait_until(lambda: not alive(old), 30, "the old worker to exit once its stream is done")


def test_sighup_with_code_that_fails_to_import_keeps_the_old_workers(runtime, tmp_path):
    project = copy_project(tmp_path / "project")
    server = runtime.start("--processes", "2", project=project, workers=2)
    old = server.workers()
    assert len(old) == 2
    original = break_project(project, new_token())

    with RequestLoop(server, "/pid", max_seconds=120) as loop:
        loop.wait_for(lambda lp: len(lp.ok()) >= 10, 30, "the loop to get going")
        server.signal(signal.SIGHUP)
        server.wait_output("the previous workers keep serving", RELOAD_TIMEOUT)
        served = len(loop.ok())
        loop.wait_for(lambda lp: len(lp.ok()) >= served + 20, 30, "requests after the failed reload")
    assert loop.errors() == [], loop.errors()[:5]
    assert loop.pids() <= old, "a worker running the broken code answered"
    assert "broken on purpose" in server.output()
    assert server.running()
    wait_until(lambda: server.workers() == old, 30, "only the old workers to remain")

    # Fixed code is picked up by the next SIGHUP.
    api_file(project).write_text(original)
    set_version(project, "v2-after-fix")
    server.signal(signal.SIGHUP)

    def new_code_everywhere() -> bool:
        workers = server.workers()
        return len(workers) == 2 and not (workers & old)

    wait_until(new_code_everywhere, RELOAD_TIMEOUT, "the workers to be replaced with the fixed code")
    answers = [server.get("/pid").json() for _ in range(10)]
    assert {a["version"] for a in answers} == {"v2-after-fix"}


def test_a_reload_that_fails_on_one_slot_does_not_leave_two_versions_serving(runtime, tmp_path):
    project = copy_project(tmp_path / "project")
    path = api_file(project)
    # The new version cannot start in worker slot 1 (as code that fails only sometimes would).
    path.write_text(path.read_text() + (
        '\nif VERSION != "v1" and os.environ.get("BOLT_WORKER") == "1":\n'
        '    raise RuntimeError("slot 1 cannot start this version")\n'))
    server = runtime.start("--processes", "2", project=project, workers=2)
    set_version(project, "v2-half")
    server.signal(signal.SIGHUP)
    server.wait_output("the previous workers keep serving", RELOAD_TIMEOUT)
    versions = {server.get("/pid").json()["version"] for _ in range(60)}
    assert versions in ({"v1"}, {"v2-half"}), f"versions served after the failed reload: {sorted(versions)}"


def test_sigterm_during_a_reload_that_is_slow_to_start_still_stops_the_server(runtime, tmp_path):
    project = copy_project(tmp_path / "project")
    path = api_file(project)
    path.write_text(path.read_text() + '\nif VERSION != "v1":\n    import time\n    time.sleep(90)\n')
    server = runtime.start(project=project)
    assert len(server.workers()) == 1
    set_version(project, "v2-slow")
    server.signal(signal.SIGHUP)
    wait_until(lambda: len(server.workers()) == 2, 30, "the new worker to be started")
    server.signal(signal.SIGTERM)
    try:
        server.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass
    stopped = not server.running()
    if not stopped:
        os.killpg(server.pid, signal.SIGKILL)  # no need to wait for the teardown's SIGTERM
    assert stopped, "the server was still running 15 s after SIGTERM"
