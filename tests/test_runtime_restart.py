"""The supervisor restarts a worker that dies, keeping the port's connections queued
meanwhile; a worker that cannot start at all stops the server instead of looping."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .runtime_helpers import (
    RequestLoop, alive, break_project, copy_project, new_token, parse_prometheus, run_runbolt, wait_until,
)


def test_a_killed_worker_is_replaced_and_clients_see_no_failure_after_one_retry(runtime):
    server = runtime.start("--processes", "2", settings={"BOLT_METRICS": True}, workers=2)
    before = server.workers()
    assert len(before) == 2, before
    victim, survivor = sorted(before)

    with RequestLoop(server, "/pid", retry_once=True, max_seconds=90) as loop:
        loop.wait_for(lambda lp: lp.pids() == before, 30, "both workers to answer the loop")
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_until(lambda: not alive(victim), 10, "the killed worker to be reaped")
        replacement = loop.wait_for(lambda lp: lp.pids() - before, 30, "a new worker to answer")
        back_after = time.monotonic() - killed_at
        served = len(loop.ok())
        loop.wait_for(lambda lp: len(lp.ok()) >= served + 20, 30, "more requests after the restart")

    assert loop.errors() == [], f"failures after one retry: {loop.errors()[:5]}\n{server.output()}"
    assert back_after < 15, f"the new worker answered {back_after:.1f}s after the kill"
    after = server.workers()
    assert victim not in after and survivor in after
    assert after == {survivor, *replacement}, (after, replacement)
    assert f"(pid {victim}) exited" in server.output()
    # The replacement knows it is a restart of its slot.
    def restart_seen() -> bool:
        families = parse_prometheus(server.get("/metrics").text)
        return sum(s.value for s in families["bolt_worker_restarts_total"].samples) == 1
    wait_until(restart_seen, 30, "a scrape with bolt_worker_restarts_total 1 for the restarted slot")


@pytest.mark.parametrize("processes", [1, 2])
def test_a_project_that_fails_at_start_up_stops_runbolt_once_with_its_traceback(tmp_path, processes):
    project = copy_project(tmp_path / "project")
    marker = new_token()
    break_project(project, marker)
    done = run_runbolt("--processes", str(processes), project=project, timeout=120)
    assert done.returncode == 1, done.output
    # Reported once, by runbolt itself: no worker was started to fail the same way.
    assert done.output.count("Traceback (most recent call last)") == 1, done.output
    assert f"RuntimeError: broken on purpose: {marker}" in done.output, done.output
    assert "loading the Django project failed" not in done.output, done.output
    assert "restarting" not in done.output, done.output
