"""The route table: what the Go core builds its router, middleware and server from.

Each Struct here has a Go twin in ``server/`` (``Table``, ``RouteSpec``,
``WebSocketSpec``, ``SiteSpec``) with the same field names; ``boot.load`` encodes a
``Table`` with msgpack and the core decodes it strictly: a key Go does not know stops
start-up with the key named. Building a Struct with a key it does not declare is a
``TypeError`` here already. The parts that are themselves compiled elsewhere (a route's
security, the server settings, the project-wide middleware, static files) stay the
mappings their compilers produce (the docs UI assets too), decoded as strictly on the
Go side.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["RouteSpec", "WebSocketSpec", "SiteSpec", "Table"]


class RouteSpec(msgspec.Struct, kw_only=True):
    """One HTTP route (server.RouteSpec)."""

    method: str
    path: str
    handler_id: int
    needs: list[str]  # the request parts its binding plan reads
    security: dict[str, Any] | None  # middleware.RouteConfig, None: nothing in Go
    uploads: list[dict[str, Any]]  # File() limits checked while a body is spooled
    name: str  # the handler's dotted name, for errors
    access_log: dict[str, Any] | None  # the API's LoggingConfig policy


class WebSocketSpec(msgspec.Struct, kw_only=True):
    """One WebSocket route (server.WebSocketSpec)."""

    path: str
    handler_id: int
    needs: list[str]
    security: dict[str, Any] | None
    name: str


class SiteSpec(msgspec.Struct, kw_only=True):
    """The Django site served beside the API (server.SiteSpec)."""

    route: RouteSpec  # the handler running Django's ASGI application
    exact: list[str]
    prefixes: list[str]


class Table(msgspec.Struct, kw_only=True):
    """The whole table (server.Table)."""

    routes: list[RouteSpec]
    websockets: list[WebSocketSpec]
    global_: dict[str, Any] = msgspec.field(name="global")  # middleware.GlobalConfig
    settings: dict[str, Any]  # server.Settings: django_bolt.conf's server settings
    static: dict[str, Any] | None  # server.StaticConfig, None: no static files
    site: SiteSpec | None  # None: only the API (and the admin) is served
    docs_assets: dict[str, Any] | None  # server.DocsAssets, None: no API docs UI
