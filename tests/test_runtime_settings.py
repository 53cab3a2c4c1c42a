"""runbolt checks the BOLT_* settings before it starts anything, warns about unknown
ones, and gives each worker process its share of the cores."""

from __future__ import annotations

import os

import pytest

from .runtime_helpers import environ_of, run_runbolt, runtime_env


@pytest.mark.parametrize("name,value", [
    ("BOLT_READ_TIMEOUT", "soon"),  # seconds
    ("BOLT_MAX_HEADER_BYTES", 100),  # int under its minimum
    ("BOLT_ACCESS_LOG", "yes"),  # choice
    ("BOLT_REQUEST_ID", "true"),  # bool given as a string
])
def test_an_invalid_setting_stops_runbolt_before_it_serves(name, value):
    done = run_runbolt(settings={name: value}, timeout=60)
    assert done.returncode != 0, done.output
    assert "CommandError" in done.output, done.output
    assert f"{name} = {value!r} is not valid" in done.output, done.output
    assert "listening on" not in done.output, "the supervisor was started"


@pytest.mark.parametrize("flags,name", [
    (("--shutdown-timeout", "-1"), "BOLT_SHUTDOWN_TIMEOUT"),
    (("--max-pending", "-3"), "BOLT_MAX_PENDING"),
])
def test_an_invalid_flag_value_is_reported_under_its_setting_name(flags, name):
    done = run_runbolt(*flags, timeout=60)
    assert done.returncode != 0, done.output
    assert name in done.output, done.output
    assert "listening on" not in done.output


def test_an_unknown_setting_is_warned_about_with_the_closest_name(runtime):
    server = runtime.start(settings={"BOLT_READ_TIMEOT": 5})
    assert server.get("/").status_code == 200
    output = server.output()
    assert "WARNING: Unknown setting BOLT_READ_TIMEOT" in output, output
    assert "did you mean BOLT_READ_TIMEOUT?" in output, output


def _expected_gomaxprocs(processes: int) -> str:
    # What Go's runtime.NumCPU counts: the CPUs this process may run on.
    return str(max(1, len(os.sched_getaffinity(0)) // processes))


@pytest.mark.parametrize("processes", [1, 2])
def test_workers_get_their_share_of_the_cores_as_gomaxprocs(runtime, processes):
    server = runtime.start("--processes", str(processes), workers=processes)
    workers = server.workers()
    assert len(workers) == processes, workers
    assert "GOMAXPROCS" not in environ_of(server.pid)
    slots = set()
    for pid in workers:
        env = environ_of(pid)
        assert env.get("GOMAXPROCS") == _expected_gomaxprocs(processes), (pid, env.get("GOMAXPROCS"))
        slots.add(env.get("BOLT_WORKER"))
    assert slots == {str(i) for i in range(processes)}


def test_an_explicit_gomaxprocs_is_left_alone(runtime):
    server = runtime.start("--processes", "2", env=runtime_env(GOMAXPROCS="3"), workers=2)
    for pid in server.workers():
        assert environ_of(pid)["GOMAXPROCS"] == "3"
