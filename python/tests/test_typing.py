"""The package ships ``py.typed``: type checkers read its annotations.

``mypy --strict`` on the example project's ``api.py`` must report nothing that comes from
django_bolt's types: the only errors allowed are the example's own untyped code (handlers
without return annotations, a bare ``dict``, calls to its own untyped generators). A second
file, with a deliberate misuse of the API, proves mypy really checks against our
annotations rather than treating the package as ``Any``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import django_bolt

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_API = REPO / "python" / "examples" / "testproject" / "testproject" / "api.py"

# "file:line: error: message  [code]"
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*?)\s+\[(?P<code>[a-z-]+)\]$")


def mypy(tmp_path: Path, *files: Path) -> list[dict[str, str]]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", "--show-error-codes", *map(str, files)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2 would be a mypy crash
    errors = [m.groupdict() for line in result.stdout.splitlines() if (m := _ERROR.match(line))]
    assert len(errors) == sum(": error:" in line for line in result.stdout.splitlines()), result.stdout
    return errors


def test_the_marker_is_in_the_package():
    assert (Path(django_bolt.__file__).parent / "py.typed").is_file()


def test_example_api_has_no_error_from_the_package_types(tmp_path):
    source = EXAMPLE_API.read_text()
    own_functions = set(re.findall(r"def (\w+)\(", source))
    errors = mypy(tmp_path, EXAMPLE_API)
    ours = []
    for error in errors:
        code, message = error["code"], error["message"]
        if code in ("no-untyped-def", "type-arg"):
            continue  # the example's handlers carry no return annotations, by design
        called = re.match(r'Call to untyped function "(\w+)"', message)
        if code == "no-untyped-call" and called and called[1] in own_functions:
            continue
        ours.append(error)
    assert ours == []


def test_mypy_checks_calls_against_the_package_annotations(tmp_path):
    misuse = tmp_path / "misuse.py"
    misuse.write_text(
        "from django_bolt import BoltAPI\n"
        "from django_bolt.responses import PlainText\n"
        "api = BoltAPI()\n"
        "api.get(42)\n"                       # a path is a str
        "PlainText(b'bytes', status_code='200')\n"  # text and status have types
    )
    codes = sorted({e["code"] for e in mypy(tmp_path, misuse) if e["file"].endswith("misuse.py")})
    assert codes == ["arg-type"], codes
    assert not any(e["code"] == "import-untyped" for e in mypy(tmp_path, misuse))
