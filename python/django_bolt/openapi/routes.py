"""Serving the documentation: the routes under ``OpenAPIConfig.path``.

``runbolt`` calls this once, on the project's merged API, after every other
route is registered::

    OpenAPIRouteRegistrar(api, config).register()

With ``path="/docs"`` that adds, all ``GET``:

* ``/docs/openapi.json`` (``application/vnd.oai.openapi+json``) and
  ``/docs/openapi.yaml``, ``/docs/openapi.yml`` (``text/yaml``);
* each path of each render plugin, below ``/docs`` (``/`` is ``/docs/``);
* ``/docs`` itself: a 307 redirect to the default plugin's page;
* ``/docs/assets/<ui>-<version>/<file>``: the UIs' scripts and styles,
  shipped in the package (``assets.py``), with an ``ETag``, a year of
  caching and ``304`` answers to ``If-None-Match``.

The docs routes are public on purpose: they get no authentication, no guards
and no middleware, whatever the API's defaults (``BOLT_AUTHENTICATION_CLASSES``,
``BOLT_DEFAULT_PERMISSION_CLASSES``, ``BoltAPI(middleware=...)``) say, so the
documentation can always be read. Serve no docs (``openapi_config=False``)
where the API's shape must stay private.

The schema is generated on the first request to any docs route, when every
route of the API exists, and kept for the life of the process, as is each
rendered page.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

from ..api import BoltAPI
from ..params import Header
from ..responses import Redirect, Response
from .assets import IMMUTABLE, shipped_asset
from .config import OpenAPIConfig
from .plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin
from .schema_generator import SchemaGenerator

__all__ = ["OpenAPIRouteRegistrar"]

# Public: readable by anyone, touched by nothing the API adds to its routes.
_PUBLIC = {"guards": [], "auth": [], "middleware": [], "middleware_config": {}}


class OpenAPIRouteRegistrar:
    """Registers the docs routes of ``config`` on ``api`` and serves them."""

    def __init__(self, api: BoltAPI, config: OpenAPIConfig) -> None:
        self.api = api
        self.config = config
        self.schema_url = f"{config.path}/openapi.json"
        self._schema: dict[str, Any] | None = None

    def plugins(self) -> list[OpenAPIRenderPlugin]:
        """The configured plugins, then JSON and YAML at their standard paths when free."""
        plugins = list(self.config.render_plugins)
        taken = {path for plugin in plugins for path in plugin.paths}
        for builtin in (JsonRenderPlugin(), YamlRenderPlugin()):
            free = [path for path in builtin.paths if path not in taken]
            if free:
                plugins.append(type(builtin)(path=free))
        return plugins

    def register(self) -> None:
        """Add the routes; two plugins claiming one path is a ``ValueError``."""
        base = self.config.path
        claimed: dict[str, OpenAPIRenderPlugin] = {}
        for plugin in self.plugins():
            for path in plugin.paths:
                if path in claimed:
                    raise ValueError(
                        f"OpenAPIConfig: {plugin!r} and {claimed[path]!r} both serve {base}{path}; "
                        "give each its own path"
                    )
                claimed[path] = plugin
            handler = self._page_handler(plugin)
            for path in plugin.paths:
                self.api._register("GET", base + path, handler, **_PUBLIC)
        self.api._register("GET", base, self._redirect_handler(), **_PUBLIC)
        self.api._register("GET", base + "/assets/{directory}/{file}", openapi_docs_asset, **_PUBLIC)

    def schema(self) -> dict[str, Any]:
        """The OpenAPI document as JSON-ready builtins, generated on first use."""
        if self._schema is None:
            self._schema = SchemaGenerator(self.api, self.config).generate().to_schema()
        return self._schema

    def _page_handler(self, plugin: OpenAPIRenderPlugin) -> Callable[[], Any]:
        body: bytes | None = None

        async def openapi_docs():
            nonlocal body
            if body is None:
                body = plugin.render(self.schema(), self.schema_url).encode()
            return Response(body, media_type=plugin.media_type)

        return openapi_docs

    def _redirect_handler(self) -> Callable[[], Any]:
        target = self.config.path + self.config.default_plugin.paths[0]

        async def openapi_docs_redirect():
            return Redirect(target)

        return openapi_docs_redirect


async def openapi_docs_asset(
    directory: str,
    file: str,
    if_none_match: Annotated[str | None, Header("if-none-match")] = None,
    accept_encoding: Annotated[str | None, Header("accept-encoding")] = None,
):
    asset = shipped_asset(directory, file)
    if asset is None:
        return Response({"detail": "Not Found"}, status_code=404)
    gzipped = asset.gzipped is not None and _accepts_gzip(accept_encoding)
    etag = asset.gzip_etag if gzipped else asset.etag
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if asset.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    if if_none_match and _matches(if_none_match, etag):
        return Response(b"", status_code=304, headers=headers, media_type=asset.content_type)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, headers=headers, media_type=asset.content_type)
    return Response(asset.body, headers=headers, media_type=asset.content_type)


def _matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` against ``etag``: weak comparison, as RFC 9110 13.1.2 asks."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (listed, or ``*``, without ``q=0``)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            if not q.startswith("q="):
                return True
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
    return False
