"""Finding the project's ``BoltAPI`` instances and merging them into one.

With ``settings.BOLT_API`` (a list of ``"module:attribute"`` strings) only those are
loaded. Otherwise: ``<project>.api:api`` and ``<project>.bolt_api:api`` for the
project package (the first component of ``ROOT_URLCONF``), then for each installed app
its ``AppConfig.bolt_api`` (``"module:attr"``) if set, else ``<app>.api:api``, else
``<app>.bolt_api:api``.

A missing module is simply not an API. An error raised *inside* an existing ``api.py``
is not swallowed: it stops start-up with its traceback, because a silently missing API
is much harder to diagnose than a failed start.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Iterable

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .api import _BOLT_API_REGISTRY, BoltAPI

__all__ = ["discover_apis", "merge_apis", "searched_modules", "NothingToServe", "RouteConflict"]


class RouteConflict(ImproperlyConfigured):
    """Two APIs define the same method and path."""


class NothingToServe(ImproperlyConfigured):
    """Discovery found no BoltAPI anywhere it looked."""

    def __init__(self) -> None:
        modules = ", ".join(searched_modules()) or "(no candidates: ROOT_URLCONF is unset and no app is installed)"
        super().__init__(
            "No BoltAPI found. Looked for an `api` attribute in: " + modules + ". Create an api.py with "
            "`api = BoltAPI()` in your project package or an installed app, or list yours in "
            'settings.BOLT_API, e.g. BOLT_API = ["myproject.api:api"].'
        )


def searched_modules() -> list[str]:
    """Every module discovery looks in, in order (``module:attribute``)."""
    return [spec for specs, _, _ in _candidates() for spec in specs]


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _load(spec: str, *, required: bool) -> BoltAPI | None:
    module_name, _, attr = spec.partition(":")
    attr = attr or "api"
    if not _module_exists(module_name):
        if required:
            raise ImproperlyConfigured(f"BOLT_API entry {spec!r}: module {module_name!r} does not exist")
        return None
    module = importlib.import_module(module_name)
    api = getattr(module, attr, None)
    if api is None:
        if required:
            raise ImproperlyConfigured(f"BOLT_API entry {spec!r}: {module_name} has no attribute {attr!r}")
        return None
    if not isinstance(api, BoltAPI):
        if required:
            raise ImproperlyConfigured(f"BOLT_API entry {spec!r} is a {type(api).__name__}, not a BoltAPI")
        return None
    return api


def _candidates() -> Iterable[tuple[list[str], bool, bool]]:
    """Groups of ``(specs, required, first_hit_only)`` in discovery order."""
    explicit = getattr(settings, "BOLT_API", None)
    if explicit is not None:
        if isinstance(explicit, str) or not all(isinstance(s, str) for s in explicit):
            raise ImproperlyConfigured('BOLT_API must be a list of "module:attribute" strings, e.g. ["myproject.api:api"]')
        yield list(explicit), True, False
        return
    urlconf = getattr(settings, "ROOT_URLCONF", None)
    project = urlconf.split(".")[0] if urlconf else None
    if project:
        yield [f"{project}.api:api", f"{project}.bolt_api:api"], False, False
    for config in apps.get_app_configs():
        if config.name == "django_bolt" or config.name.split(".")[0] == project:
            continue
        custom = getattr(config, "bolt_api", None)
        if custom:
            yield [custom], True, False
        else:
            yield [f"{config.name}.api:api", f"{config.name}.bolt_api:api"], False, True


def discover_apis() -> list[tuple[str, BoltAPI]]:
    """The project's APIs as ``(where, api)`` pairs, without duplicates."""
    found: list[tuple[str, BoltAPI]] = []
    seen: set[int] = set()
    for specs, required, first_only in _candidates():
        for spec in specs:
            api = _load(spec, required=required)
            if api is None:
                continue
            if id(api) not in seen:
                seen.add(id(api))
                found.append((spec, api))
            if first_only:
                break
    # A mounted API is served through the API it was mounted into (imported by now).
    return [(where, api) for where, api in found if api.mounted_into is None]


def merge_apis(apis: list[tuple[str, BoltAPI]]) -> BoltAPI:
    """One API holding every route; conflicts name both origins."""
    if len(apis) == 1:
        return apis[0][1]
    merged = BoltAPI(enable_logging=False)
    # The merged API is an internal artefact, not one of the user's.
    _BOLT_API_REGISTRY.remove(merged)
    origin: dict[tuple[str, str], str] = {}
    for where, api in apis:
        for route in api.routes():
            key = (route.method, route.path)
            if key in origin:
                raise RouteConflict(
                    f"Route conflict: {route.method} {route.path} defined in both {origin[key]} and {where}"
                )
            origin[key] = where
            merged._add(dataclasses.replace(route, handler_id=merged._next_handler_id))
    for where, api in apis:
        for ws_route in api.websocket_routes():
            key = ("WEBSOCKET", ws_route.path)
            if key in origin:
                raise RouteConflict(
                    f"Route conflict: WebSocket {ws_route.path} defined in both {origin[key]} and {where}"
                )
            origin[key] = where
            merged._websocket_routes.append(dataclasses.replace(ws_route, handler_id=len(merged._websocket_routes)))
    merged.compression = next((api.compression for _, api in apis if api.compression is not None), None)
    if merged.openapi_config is None:
        merged.openapi_config = next((api.openapi_config for _, api in apis if api.openapi_config), None)
    return merged
