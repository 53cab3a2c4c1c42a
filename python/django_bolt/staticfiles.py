"""Static files served by the Go core, configured from Django's settings.

At start-up the server reads ``STATIC_URL`` (the URL prefix; empty or a full URL such as
``https://cdn.example.com/`` turns serving off), ``STATIC_ROOT``, ``STATICFILES_DIRS``
(plain paths or ``(prefix, path)`` pairs) and, with ``DEBUG``, the directories the
staticfiles finders search (each installed app's ``static/``). ``GET <STATIC_URL><path>``
is answered from the first of those directories that has the file, in that order, with
its MIME type, ``ETag``/``Last-Modified`` (304 on revalidation) and Range support, and
``Content-Security-Policy`` built from ``SECURE_CSP`` when that is set. ``..`` in the path
is a 400; a missing file, a directory or a symlink leading out of its directory is a 404.
When ``runbolt`` serves Django's admin, the finders' directories are searched without
``DEBUG`` too, so the admin's own CSS and scripts load without ``collectstatic``.
Routes of the API take precedence over files under the same prefix.

The test clients read the same settings; ``static_files_config={"url_prefix": ...,
"directories": [...], "csp_header": ...}`` replaces them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

__all__ = ["static_files_config", "csp_header"]

# Django's CSP.NONCE: a per-response nonce Go cannot produce; such sources are dropped.
_NONCE_SENTINEL = "<CSP_NONCE_SENTINEL>"
_BARE_DIRECTIVES = ("upgrade-insecure-requests", "block-all-mixed-content")


def static_files_config(settings: Any = None, override: dict[str, Any] | None = None, *,
                        finders: bool | None = None) -> dict[str, Any] | None:
    """The ``static`` section of the route table, or None when nothing is served.

    ``finders`` says whether the staticfiles finders' directories are searched too
    (default: with ``DEBUG``; runbolt also turns it on when it serves the admin, whose
    CSS and scripts live in the admin app's ``static/``).
    """
    if override is not None:
        return _from_override(override)
    if settings is None:
        from django.conf import settings
    url = getattr(settings, "STATIC_URL", None) or ""
    if not isinstance(url, str):
        raise ImproperlyConfigured(f"STATIC_URL must be a string such as 'static/', not {url!r}")
    if "://" in url or url.startswith("//") or not url.strip("/"):
        return None  # served elsewhere (a CDN), or not at all
    directories: list[dict[str, str]] = []
    root = getattr(settings, "STATIC_ROOT", None)
    if root:
        directories.append({"prefix": "", "root": str(root)})
    for entry in getattr(settings, "STATICFILES_DIRS", None) or ():
        if isinstance(entry, (list, tuple)):
            if len(entry) != 2:
                raise ImproperlyConfigured(f"STATICFILES_DIRS entries are paths or (prefix, path) pairs, not {entry!r}")
            prefix, path = entry
        else:
            prefix, path = "", entry
        directories.append({"prefix": str(prefix), "root": str(path)})
    if settings.DEBUG if finders is None else finders:
        directories.extend(_finder_directories(directories))
    if not directories:
        return None
    return {"url_prefix": "/" + url.strip("/"), "directories": directories,
            "csp_header": csp_header(getattr(settings, "SECURE_CSP", None))}


def _from_override(override: dict[str, Any]) -> dict[str, Any] | None:
    unknown = set(override) - {"url_prefix", "directories", "csp_header"}
    if unknown:
        raise TypeError(f"static_files_config: unknown keys {sorted(unknown)}; use url_prefix, directories, csp_header")
    prefix = override.get("url_prefix") or ""
    dirs = []
    for entry in override.get("directories") or ():
        if isinstance(entry, dict):
            dirs.append({"prefix": str(entry.get("prefix") or ""), "root": str(entry["root"])})
        elif isinstance(entry, (list, tuple)):
            dirs.append({"prefix": str(entry[0]), "root": str(entry[1])})
        else:
            dirs.append({"prefix": "", "root": str(entry)})
    if not prefix.strip("/") or not dirs:
        return None
    return {"url_prefix": "/" + prefix.strip("/"), "directories": dirs, "csp_header": override.get("csp_header") or ""}


def _finder_directories(already: list[dict[str, str]]) -> list[dict[str, str]]:
    """The directories Django's staticfiles finders search (only used with DEBUG)."""
    from django.apps import apps

    if not apps.is_installed("django.contrib.staticfiles"):
        return []
    from django.contrib.staticfiles import finders

    seen = {(d["prefix"], str(Path(d["root"]).resolve())) for d in already}
    found = []
    for finder in finders.get_finders():
        storages = getattr(finder, "storages", None) or {}
        for storage in storages.values():
            location = getattr(storage, "location", None)
            if not location:
                continue
            prefix = getattr(storage, "prefix", None) or ""
            key = (prefix, str(Path(location).resolve()))
            if key not in seen:
                seen.add(key)
                found.append({"prefix": prefix, "root": str(location)})
    return found


def csp_header(policy: Any) -> str:
    """``SECURE_CSP`` as a header value: ``"<directive> <sources>"`` joined by ``"; "``."""
    if not policy:
        return ""
    if not isinstance(policy, dict):
        raise ImproperlyConfigured(f"SECURE_CSP must be a dict such as {{'default-src': [\"'self'\"]}}, not {policy!r}")
    parts = []
    for directive, value in policy.items():
        if value is True:
            parts.append(directive)
            continue
        if value is None or value is False:
            continue
        sources = [value] if isinstance(value, str) else list(value)
        sources = [str(s) for s in sources if s != _NONCE_SENTINEL]
        if sources:
            parts.append(f"{directive} {' '.join(sources)}")
        elif directive in _BARE_DIRECTIVES:
            parts.append(directive)
    return "; ".join(parts)
