"""``BoltAPI(django_middleware=...)``: which of ``settings.MIDDLEWARE`` run on Bolt routes.

* ``True``: all of ``settings.MIDDLEWARE``;
* a list of dotted paths: those only, in ``MIDDLEWARE`` order (each must be listed there);
* ``{"include": [...], "exclude": [...]}``: ``include`` (default: all) minus ``exclude``;
* ``False``/``None``: none.

Entries that cannot be imported are skipped with a warning on the ``django_bolt``
logger. The result is one ``DjangoMiddlewareStack``, run before the API's ``middleware``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .django_adapter import DjangoMiddleware, DjangoMiddlewareStack

__all__ = ["load_django_middleware", "get_django_middleware_setting", "DEFAULT_EXCLUDED_MIDDLEWARE"]

logger = logging.getLogger("django_bolt")

# Nothing is left out unless asked: CSRF, clickjacking and security headers apply as in Django.
DEFAULT_EXCLUDED_MIDDLEWARE: frozenset[str] = frozenset()


def get_django_middleware_setting() -> list[str]:
    """``settings.MIDDLEWARE`` as a list of dotted paths."""
    from django.conf import settings

    return list(getattr(settings, "MIDDLEWARE", None) or [])


def load_django_middleware(config: Any) -> DjangoMiddlewareStack | None:
    """The stack ``django_middleware=config`` asks for, or None when it asks for none."""
    if not config:
        return None
    configured = get_django_middleware_setting()
    if config is True:
        chosen = [path for path in configured if path not in DEFAULT_EXCLUDED_MIDDLEWARE]
    elif isinstance(config, dict):
        unknown = set(config) - {"include", "exclude"}
        if unknown:
            raise ImproperlyConfigured(
                f"django_middleware={config!r}: unknown keys {sorted(unknown)}; use {{'include': [...], 'exclude': [...]}}"
            )
        include = config.get("include")
        exclude = set(config.get("exclude") or ())
        chosen = [p for p in (configured if include is None else _in_setting_order(include, configured))
                  if p not in exclude]
    elif isinstance(config, (list, tuple)):
        chosen = _in_setting_order(config, configured)
    else:
        raise ImproperlyConfigured(
            f"django_middleware takes True, a list of dotted paths from settings.MIDDLEWARE or "
            f"{{'include': [...], 'exclude': [...]}}, not {config!r}"
        )
    loaded = []
    for path in chosen:
        try:
            loaded.append(DjangoMiddleware(path))
        except ImportError as exc:
            logger.warning("django_middleware: skipping %s, which cannot be imported (%s)", path, exc)
    return DjangoMiddlewareStack(loaded) if loaded else None


def _in_setting_order(paths: Any, configured: list[str]) -> list[str]:
    if isinstance(paths, str) or not all(isinstance(p, str) for p in paths):
        raise ImproperlyConfigured(f"django_middleware lists dotted paths, e.g. ['django.contrib.sessions.middleware.SessionMiddleware'], not {paths!r}")
    missing = [p for p in paths if p not in configured]
    if missing:
        raise ImproperlyConfigured(
            f"django_middleware names {missing}, which settings.MIDDLEWARE does not list: add them there "
            "(the order of settings.MIDDLEWARE is the order they run in)"
        )
    return [p for p in configured if p in paths]
