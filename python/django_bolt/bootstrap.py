"""Configuring Django for scripts and tests that use django_bolt outside manage.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["ensure_django_ready"]


def _settings_from_manage_py() -> str | None:
    here = Path.cwd()
    for directory in [here, *list(here.parents)[:3]]:
        manage = directory / "manage.py"
        if manage.is_file():
            for line in manage.read_text(errors="replace").splitlines():
                if "DJANGO_SETTINGS_MODULE" in line and '"' in line:
                    parts = line.split('"')
                    if len(parts) >= 4:
                        if str(directory) not in sys.path:
                            sys.path.insert(0, str(directory))
                        return parts[3]
    return None


def ensure_django_ready() -> dict[str, Any]:
    """Set up Django if it is not yet; return a summary of the configuration."""
    import django
    from django.conf import settings

    if not settings.configured:
        module = os.environ.get("DJANGO_SETTINGS_MODULE") or _settings_from_manage_py()
        if module is None:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(
                "Django is not configured: set DJANGO_SETTINGS_MODULE or run from a directory with manage.py"
            )
        os.environ["DJANGO_SETTINGS_MODULE"] = module
    django.setup()
    database = settings.DATABASES.get("default", {})
    return {
        "mode": "django",
        "debug": bool(settings.DEBUG),
        "database": database.get("ENGINE"),
        "database_name": str(database.get("NAME")),
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE"),
        "base_dir": str(getattr(settings, "BASE_DIR", "")),
    }
