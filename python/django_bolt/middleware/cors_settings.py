"""Project-wide CORS settings, under django-cors-headers' names or with a ``BOLT_`` prefix.

Each setting may be written ``CORS_<NAME>`` (as for django-cors-headers) or
``BOLT_CORS_<NAME>``; both mean the same, and giving both with different values is an
error. When origins are configured (``ALLOWED_ORIGINS``, ``ALLOWED_ORIGIN_REGEXES`` or
``ALLOW_ALL_ORIGINS``) the Go core applies this policy to every route without its own
``@cors``, answers preflights for unknown paths with 204 and adds CORS headers to 404s.
``@cors()`` without origins uses the same origin list.

| name | default |
|---|---|
| ``ALLOWED_ORIGINS`` | ``[]`` |
| ``ALLOWED_ORIGIN_REGEXES`` | ``[]`` (regular expressions matched from the start, as ``re.match``) |
| ``ALLOW_ALL_ORIGINS`` | ``False`` |
| ``ALLOW_CREDENTIALS`` | ``False`` |
| ``ALLOW_METHODS`` | GET, POST, PUT, PATCH, DELETE, OPTIONS |
| ``ALLOW_HEADERS`` | Content-Type, Authorization |
| ``EXPOSE_HEADERS`` | ``[]`` |
| ``PREFLIGHT_MAX_AGE`` | 3600 |
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

__all__ = ["global_cors_settings", "global_origins_configured", "CORS_SETTING_NAMES"]

CORS_SETTING_NAMES = (
    "ALLOWED_ORIGINS",
    "ALLOWED_ORIGIN_REGEXES",
    "ALLOW_ALL_ORIGINS",
    "ALLOW_CREDENTIALS",
    "ALLOW_METHODS",
    "ALLOW_HEADERS",
    "EXPOSE_HEADERS",
    "PREFLIGHT_MAX_AGE",
)
_UNSET = object()


def _read(settings: Any, name: str) -> Any:
    return _read_named(settings, name)[0]


def _read_named(settings: Any, name: str) -> tuple[Any, str]:
    """The value and the name it was given under."""
    plain = getattr(settings, f"CORS_{name}", _UNSET)
    prefixed = getattr(settings, f"BOLT_CORS_{name}", _UNSET)
    if plain is not _UNSET and prefixed is not _UNSET and _normal(plain) != _normal(prefixed):
        raise ImproperlyConfigured(
            f"CORS_{name} = {plain!r} and BOLT_CORS_{name} = {prefixed!r} disagree: both name the same "
            "setting; keep one of them"
        )
    if plain is _UNSET:
        return prefixed, f"BOLT_CORS_{name}"
    return plain, f"CORS_{name}"


def _normal(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def _str_list(settings: Any, name: str, example: str) -> list[str]:
    value, given = _read_named(settings, name)
    if value is _UNSET or value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ImproperlyConfigured(f"{given} must be a list of strings such as {example}, not {value!r}")
    return list(value)


def global_cors_settings(settings: Any = None) -> dict[str, Any] | None:
    """The project's CORS policy for the Go core, or None when no origin is configured."""
    if settings is None:
        from django.conf import settings
    origins = _str_list(settings, "ALLOWED_ORIGINS", "['https://app.example.com']")
    regexes = _str_list(settings, "ALLOWED_ORIGIN_REGEXES", r"[r'^https://\w+\.example\.com$']")
    for pattern in regexes:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ImproperlyConfigured(f"CORS_ALLOWED_ORIGIN_REGEXES: {pattern!r} is not a regular expression: {exc}") from None
    allow_all = _read(settings, "ALLOW_ALL_ORIGINS")
    allow_all = False if allow_all is _UNSET else allow_all
    credentials = _read(settings, "ALLOW_CREDENTIALS")
    credentials = False if credentials is _UNSET else credentials
    for name, value in (("ALLOW_ALL_ORIGINS", allow_all), ("ALLOW_CREDENTIALS", credentials)):
        if not isinstance(value, bool):
            raise ImproperlyConfigured(f"CORS_{name} must be True or False, not {value!r}")
    if allow_all:
        origins = ["*"]
    if not origins and not regexes:
        return None
    if "*" in origins and credentials:
        raise ImproperlyConfigured(
            "CORS_ALLOW_CREDENTIALS = True with every origin allowed ('*' or CORS_ALLOW_ALL_ORIGINS): "
            "browsers refuse credentials from a wildcard origin; list the allowed origins instead"
        )
    max_age = _read(settings, "PREFLIGHT_MAX_AGE")
    max_age = 3600 if max_age is _UNSET else max_age
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        raise ImproperlyConfigured(f"CORS_PREFLIGHT_MAX_AGE must be a whole number of seconds >= 0, not {max_age!r}")
    policy: dict[str, Any] = {
        "type": "cors",
        "origins": origins,
        "credentials": credentials,
        "max_age": max_age,
    }
    if regexes:
        policy["origin_regexes"] = regexes
    for name, key, example in (
        ("ALLOW_METHODS", "methods", "['GET', 'POST']"),
        ("ALLOW_HEADERS", "headers", "['content-type', 'authorization']"),
        ("EXPOSE_HEADERS", "expose_headers", "['x-total-count']"),
    ):
        values = _str_list(settings, name, example)
        if values:
            policy[key] = values
    return policy


def global_origins_configured() -> bool:
    """Whether ``@cors()`` without origins has a project-wide list to use."""
    from django.conf import settings

    if not settings.configured:
        return False
    return global_cors_settings(settings) is not None
