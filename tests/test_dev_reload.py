"""``--dev``: code changes are served after a reload without refusing any connection, and
code that fails to import leaves the previous version serving."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from .conftest import SEMANTICS_PROJECT, Hammer, copy_project, wait_until

RELOAD_TIMEOUT = 30


def _set_version(api_py: Path, source: str, new_line: str) -> None:
    lines = source.splitlines(keepends=True)
    out = [new_line + "\n" if line.startswith("VERSION = ") else line for line in lines]
    assert out != lines, "api.py has no VERSION line"
    api_py.write_text("".join(out))


def _served_version(server) -> str | None:
    try:
        r = httpx.get(server.url("/version"), timeout=5.0, headers={"connection": "close"})
    except httpx.HTTPError:
        return None
    return r.json()["version"] if r.status_code == 200 else None


@pytest.fixture
def dev_server(tmp_path, start_semantics):
    project = copy_project(SEMANTICS_PROJECT, tmp_path / "project")
    server = start_semantics("--dev", project=project)
    return server, project / "probe" / "api.py"


def test_reload_serves_new_code_without_connection_errors(dev_server):
    server, api_py = dev_server
    original = api_py.read_text()
    assert _served_version(server) == "v1"

    with Hammer(server, "/version", "version") as hammer:
        wait_until(lambda: hammer.count() >= 5, timeout=15, message="background requests")
        _set_version(api_py, original, 'VERSION = "v2-reloaded"')
        wait_until(lambda: "v2-reloaded" in hammer.values, timeout=RELOAD_TIMEOUT,
                   message="the new code to be served")
        # Keep going while the old worker drains and exits.
        seen = hammer.count()
        wait_until(lambda: hammer.count() >= seen + 30, timeout=30, message="requests after the reload")

    assert not hammer.errors, f"{len(hammer.errors)} failed requests during the reload: {hammer.errors[:5]}"
    assert set(hammer.values) == {"v1", "v2-reloaded"}
    # Once the new code answered, the old never did again.
    first_new = hammer.values.index("v2-reloaded")
    assert "v1" not in hammer.values[first_new:]


def test_syntax_error_keeps_the_previous_version_serving(dev_server):
    server, api_py = dev_server
    original = api_py.read_text()
    _set_version(api_py, original, 'VERSION = "v2-reloaded"')
    wait_until(lambda: _served_version(server) == "v2-reloaded", timeout=RELOAD_TIMEOUT,
               message="the first reload")

    with Hammer(server, "/version", "version") as hammer:
        api_py.write_text(api_py.read_text() + "\n\ndef broken(:\n    pass\n")
        wait_until(lambda: "failed to start" in server.output(), timeout=RELOAD_TIMEOUT,
                   message="the broken reload to be reported")
        seen = hammer.count()
        wait_until(lambda: hammer.count() >= seen + 10, timeout=30, message="requests after the failed reload")

    assert not hammer.errors, f"requests failed around the broken reload: {hammer.errors[:5]}"
    assert set(hammer.values) == {"v2-reloaded"}
    assert "SyntaxError" in server.output()
    assert server.proc.poll() is None

    # Fixing the file is picked up again.
    _set_version(api_py, original, 'VERSION = "v3-fixed"')
    wait_until(lambda: _served_version(server) == "v3-fixed", timeout=RELOAD_TIMEOUT,
               message="the fixed code to be served")
