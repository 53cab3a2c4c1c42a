"""Every Python example of the user guide runs, so the guide cannot drift from the code.

Each page of ``docs/guide/`` is one test: its ```` ```python ```` blocks run in order, in
one namespace per page (a later block uses what an earlier one defined), with the test
settings of ``conftest.py``. A block whose info string carries ``no-run`` (```` ```python
no-run ````) is shown, not run: ``settings.py`` excerpts, commands, code that needs a
server. The convention is written in ``docs/guide/README.md`` for the guide's authors.
"""

from __future__ import annotations

import re
import sys
import traceback
import types
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide"

# A fenced block: its info string and its code. Fences of three or more backticks.
_FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<code>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


def python_blocks(text: str) -> list[tuple[int, str, bool]]:
    """``(line, code, runs)`` of each Python block of a page, in order."""
    blocks = []
    for match in _FENCE.finditer(text):
        words = match["info"].split()
        if not words or words[0] not in ("python", "py"):
            continue
        line = text.count("\n", 0, match.start("code")) + 1
        blocks.append((line, match["code"], "no-run" not in words[1:]))
    return blocks


def pages() -> list[Path]:
    return sorted(GUIDE.glob("*.md"))


def test_the_guide_exists():
    names = {page.stem for page in pages()}
    assert {"README", "installation", "first-api", "openapi", "testing"} <= names


def test_block_extraction_follows_the_convention():
    text = "```python\na = 1\n```\n\n````py no-run\nimport x\n````\n\n```bash\nls\n```\n"
    assert python_blocks(text) == [(2, "a = 1\n", True), (6, "import x\n", False)]


@pytest.mark.parametrize("page", pages(), ids=lambda page: page.name)
def test_page_examples_run(page: Path):
    # A real module, so that what looks names up in its module (msgspec resolving a
    # struct's annotations, typing.get_type_hints) finds the page's names.
    module = types.ModuleType(f"guide_{page.stem.replace('-', '_')}")
    sys.modules[module.__name__] = module
    try:
        for line, code, runs in python_blocks(page.read_text()):
            if not runs:
                compile(code, f"{page.name}:{line}", "exec")  # shown code still has to be Python
                continue
            try:
                # Padded to its line in the page: tracebacks and inspect.getsource point there.
                exec(compile("\n" * (line - 1) + code, str(page), "exec"), module.__dict__)
            except Exception:
                pytest.fail(f"{page.name}, block at line {line} failed:\n{traceback.format_exc()}", pytrace=False)
    finally:
        del sys.modules[module.__name__]
