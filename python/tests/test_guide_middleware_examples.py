"""The Python examples of docs/guide/middleware.md and docs/guide/static-files.md run as written."""

from __future__ import annotations

import pathlib
import re

import pytest

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "guide"
BLOCKS = [
    pytest.param(block, id=f"{page}#{index}")
    for page in ("middleware.md", "static-files.md")
    for index, block in enumerate(re.findall(r"```python\n(.*?)```", (GUIDE / page).read_text(), re.S))
]


@pytest.mark.parametrize("source", BLOCKS)
def test_guide_example_runs(source):
    exec(compile(source, "<guide>", "exec"), {"__name__": "guide_example"})
