"""The project's API as ``runbolt`` serves it, for the commands that describe it.

``bolt_routes`` and ``bolt_openapi`` load the same APIs as the server (discovery or
``BOLT_API``), merged into one, with the admin and documentation routes the server adds.
Nothing is served; only routes are compiled.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management.base import CommandError

from ..api import BoltAPI
from ..openapi.config import OpenAPIConfig

__all__ = ["ProjectAPI", "load_project_api"]


@dataclass
class ProjectAPI:
    api: BoltAPI
    docs: OpenAPIConfig | None  # None: every API has openapi_config=False
    modules: list[str]


def load_project_api(*, admin: bool = True, docs: bool = True) -> ProjectAPI:
    """Discover and merge the project's APIs; a project with none is a ``CommandError``."""
    from ..discovery import discover_apis, merge_apis
    from ..openapi.config import resolve_openapi_config
    from ..openapi.routes import OpenAPIRouteRegistrar

    apis = discover_apis()
    if not apis:
        raise CommandError(
            "No BoltAPI found: create an api.py with `api = BoltAPI()` in the project package or an "
            "installed app, or list them in settings.BOLT_API"
        )
    api = merge_apis(apis)
    if admin:
        from ..admin import register_admin_routes

        register_admin_routes(api)
    config = resolve_openapi_config(found.openapi_config for _, found in apis)
    if docs and config is not None:
        OpenAPIRouteRegistrar(api, config).register()
    return ProjectAPI(api, config, [name for name, _ in apis])
