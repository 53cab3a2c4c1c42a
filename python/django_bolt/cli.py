"""The ``django-bolt`` command (also ``python -m django_bolt``).

* ``django-bolt init``: adds django-bolt to an existing Django project. From the
  directory of ``manage.py`` (or below it), it finds the project's ``settings.py``,
  adds ``"django_bolt"`` to ``INSTALLED_APPS`` and writes an example ``api.py``
  beside ``settings.py``. Whatever is already there is left as it is, so running it
  twice changes nothing.
* ``django-bolt version``: prints ``Django-Bolt version: <x.y.z>``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["main", "init_project"]

EXAMPLE_API = '''"""The project's HTTP API, served by `python manage.py runbolt` (docs at /docs)."""

import msgspec

from django_bolt import BoltAPI

api = BoltAPI()


class Item(msgspec.Struct):
    name: str
    price: float


@api.get("/hello")
async def hello(name: str = "world"):
    """Say hello."""
    return {"message": f"Hello, {name}!"}


@api.post("/items", status_code=201)
async def create_item(item: Item) -> Item:
    """Create an item."""
    return item
'''

_INSTALLED_APPS = re.compile(r"^INSTALLED_APPS\s*(?::[^=]*)?=\s*(?P<open>[\[(])", re.M)


class InitError(Exception):
    """``init`` cannot go on; the message says what to do instead."""


def find_manage_py(start: Path) -> Path:
    for directory in (start, *start.parents):
        if (directory / "manage.py").is_file():
            return directory / "manage.py"
    raise InitError(f"No manage.py in {start} or above: run `django-bolt init` inside a Django project "
                    "(create one with `django-admin startproject mysite`).")


def find_settings(root: Path) -> Path:
    candidates = sorted(root.glob("*/settings.py"))
    if not candidates:
        raise InitError(f"No <package>/settings.py next to {root / 'manage.py'}: add django_bolt to "
                        "INSTALLED_APPS by hand, and create an api.py in your project package.")
    return candidates[0]


def add_installed_app(settings_text: str, settings_path: Path) -> str | None:
    """``settings_text`` with ``"django_bolt"`` added to ``INSTALLED_APPS``; None if already there."""
    match = _INSTALLED_APPS.search(settings_text)
    if match is None:
        raise InitError(f"{settings_path}: no `INSTALLED_APPS = [...]` found; add \"django_bolt\" to it by hand.")
    close = _closing_bracket(settings_text, match.end() - 1)
    if close is None:
        raise InitError(f"{settings_path}: INSTALLED_APPS is not a plain list; add \"django_bolt\" to it by hand.")
    body = settings_text[match.end():close]
    if re.search(r"""["']django_bolt["']""", body):
        return None
    # Keep the list's style: its quotes, one entry per line with the last entry's indentation.
    quote = "'" if re.match(r"\s*'", body) else '"'
    app = f"{quote}django_bolt{quote}"
    indent = re.findall(r"\n([ \t]+)\S", body)
    lines_style = "\n" in body
    stripped = body.rstrip()
    comma = "" if not stripped.strip() or stripped.endswith(",") else ","
    if lines_style:
        entry = f'{comma}\n{indent[-1] if indent else "    "}{app},\n'
    else:
        entry = f"{comma} {app}" if stripped.strip() else app
    return settings_text[:match.end()] + stripped + entry + settings_text[match.end() + len(body):]


def _closing_bracket(text: str, opening: int) -> int | None:
    """Index of the bracket closing the one at ``opening``, skipping strings and comments."""
    depth, i, quote = 0, opening, None
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def init_project(start: Path) -> list[str]:
    """Set up django-bolt in the project around ``start``; returns what was done, one line each."""
    root = find_manage_py(start.resolve()).parent
    settings_path = find_settings(root)
    done = []
    updated = add_installed_app(settings_path.read_text(), settings_path)
    if updated is None:
        done.append(f"{settings_path.relative_to(root)}: django_bolt already in INSTALLED_APPS")
    else:
        settings_path.write_text(updated)
        done.append(f"{settings_path.relative_to(root)}: added \"django_bolt\" to INSTALLED_APPS")
    api_path = settings_path.parent / "api.py"
    if api_path.exists():
        done.append(f"{api_path.relative_to(root)}: exists, left as it is")
    else:
        api_path.write_text(EXAMPLE_API)
        done.append(f"{api_path.relative_to(root)}: created with an example API")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="django-bolt", description="django-bolt project tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("init", help="Add django-bolt to the Django project in this directory.")
    commands.add_parser("version", help="Print the installed django-bolt version.")
    args = parser.parse_args(argv)
    if args.command == "version":
        from . import __version__

        print(f"Django-Bolt version: {__version__}")
        return 0
    try:
        done = init_project(Path.cwd())
    except InitError as exc:
        print(f"django-bolt init: {exc}", file=sys.stderr)
        return 1
    for line in done:
        print(line)
    print("Next: python manage.py runbolt --dev, then open http://127.0.0.1:8000/docs")
    return 0
