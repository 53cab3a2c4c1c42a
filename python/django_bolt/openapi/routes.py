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
  shipped in the package (``assets.py``) and served by the Go server from
  memory, gzip-compressed once, with an ``ETag``, a year of caching and
  ``304`` answers to ``If-None-Match`` (``api.docs_assets`` tells it where).

The docs routes are public unless the configuration protects them: they get
no authentication, no guards and no middleware from the API's defaults
(``BOLT_AUTHENTICATION_CLASSES``, ``BOLT_DEFAULT_PERMISSION_CLASSES``,
``BoltAPI(middleware=...)``), so the documentation can always be read.
``OpenAPIConfig(guards=..., auth=...)`` protects every docs route as a route
is protected, in the server before any Python runs;
``OpenAPIConfig(django_auth=...)`` runs the project's Django middleware
(``settings.MIDDLEWARE``) and the login decorator on them, so an anonymous
visitor is sent to the login page. The UIs' scripts and styles stay public:
they are the UIs' published files and say nothing about the API. Serve no
docs (``OpenAPIConfig(enabled=False)``) where the API's shape must stay
private.

The schema is generated on the first request to any docs route, when every
route of the API exists, and kept for the life of the process, as is each
rendered page.
"""

from __future__ import annotations

from typing import Any, Callable

from ..api import BoltAPI
from ..middleware.django_adapter import DjangoMiddleware, DjangoMiddlewareStack
from ..middleware.django_loader import get_django_middleware_setting, load_django_middleware
from ..responses import Redirect, Response
from .assets import docs_assets_table
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
        access = self.access()
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
                self.api._register("GET", base + path, handler, **access)
        self.api._register("GET", base, self._redirect_handler(), **access)
        self.api.docs_assets = docs_assets_table(base + "/assets")

    def access(self) -> dict[str, Any]:
        """The route options of the docs pages: public, or what the configuration asks for."""
        config = self.config
        if not config.protected:
            return _PUBLIC
        # Guards without auth: the project's default authentication, as on any route.
        auth = config.auth if config.auth is not None else (None if config.guards is not None else [])
        return {
            "guards": list(config.guards or []),
            "auth": None if auth is None else list(auth),
            "middleware": [django_login(config.django_auth)] if config.django_auth else [],
            "middleware_config": {},
        }

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


_LOGIN_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)


def django_login(django_auth: Any) -> DjangoMiddlewareStack:
    """The project's Django middleware, then ``django_auth`` (True: ``login_required``) as a gate."""
    from django.core.exceptions import ImproperlyConfigured

    missing = [path for path in _LOGIN_MIDDLEWARE if path not in get_django_middleware_setting()]
    if missing:
        raise ImproperlyConfigured(
            f"OpenAPIConfig(django_auth=...) needs a Django login: add {', '.join(missing)} to settings.MIDDLEWARE"
        )
    if django_auth is True:
        from django.contrib.auth.decorators import login_required as django_auth
    stack = load_django_middleware(True)
    return DjangoMiddlewareStack([*stack.middleware, DjangoMiddleware(DocsLogin, decorator=django_auth)])


class DocsLogin:
    """Django middleware: lets a request through to the docs when ``decorator`` would
    call the view it decorates, and answers what it answers otherwise (a redirect to
    the login page, a 403)."""

    def __init__(self, get_response: Any, decorator: Callable[[Any], Any]) -> None:
        self.decorator = decorator

    def process_view(self, request: Any, view_func: Any, args: Any, kwargs: Any) -> Any:
        allowed = object()
        answer = self.decorator(lambda request, *args, **kwargs: allowed)(request)
        return None if answer is allowed else answer
