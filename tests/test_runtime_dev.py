"""--dev: a file change reloads the single worker without a failed request; broken code
keeps the last good worker, and a server that started broken serves once fixed."""

from __future__ import annotations

import pytest

from .runtime_helpers import (
    RequestLoop, alive, api_file, break_project, copy_project, new_token, set_version, wait_until,
)

RELOAD_TIMEOUT = 60


@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path / "project")


def _versions(loop: RequestLoop) -> list[str]:
    return [o.body["version"] for o in loop.ok()]


def test_a_file_change_under_load_serves_the_new_code_without_errors(runtime, project):
    server = runtime.start("--dev", project=project)
    [old] = server.workers()
    with RequestLoop(server, "/", max_seconds=120) as loop:
        loop.wait_for(lambda lp: len(lp.ok()) >= 20, 30, "the loop to get going")
        set_version(project, "v2-dev-reload")
        loop.wait_for(lambda lp: "v2-dev-reload" in _versions(lp), RELOAD_TIMEOUT, "the new code to be served")
        wait_until(lambda: not alive(old), 30, "the old worker to exit")
        served = len(loop.ok())
        loop.wait_for(lambda lp: len(lp.ok()) >= served + 20, 30, "requests after the old worker left")

    assert loop.errors() == [], f"{len(loop.errors())} errors: {loop.errors()[:5]}\n{server.output()}"
    versions = _versions(loop)
    assert versions[0] == "v1"
    assert set(versions[-20:]) == {"v2-dev-reload"}, versions[-20:]
    assert "changed; reloading" in server.output()


def test_a_broken_edit_keeps_the_last_good_code_serving(runtime, project):
    server = runtime.start("--dev", project=project)
    [old] = server.workers()
    break_project(project, new_token())
    server.wait_output("the previous workers keep serving", RELOAD_TIMEOUT)
    assert server.running()
    assert server.workers() == {old}
    assert {server.get("/").json()["version"] for _ in range(5)} == {"v1"}


def test_a_server_started_with_broken_code_serves_once_the_code_is_fixed(runtime, project):
    original = break_project(project, new_token())
    server = runtime.start("--dev", project=project, wait=False)
    server.wait_output("waiting for a file change", RELOAD_TIMEOUT)
    assert server.running(), "--dev gave up instead of waiting for a fix"
    api_file(project).write_text(original)
    set_version(project, "v3-fixed")
    server.wait_ready(timeout=RELOAD_TIMEOUT)
    assert server.get("/").json()["version"] == "v3-fixed"
