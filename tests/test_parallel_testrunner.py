"""A Django project's own tests using TestClient run under `manage.py test --parallel`.

Django forks its test workers; the Go runtime must only be loaded after the fork (the
clients load it lazily, inside the tests), and each worker's handlers must see that
worker's TestCase transaction.
"""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).parent / "parallel_project"


def test_parallel_test_run_passes():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "test", "--parallel", "2", "-v", "2", "parallelapp"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert output.count("Cloning test database") == 2, "the run was not parallel"
    assert "Ran 8 tests" in output
    assert "OK" in output
