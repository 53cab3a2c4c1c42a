"""``OpenAPIConfig``: what the documentation says about the API, and where it is served.

    api = BoltAPI(openapi_config=OpenAPIConfig(
        title="Shop", version="2.0", path="/docs",
        render_plugins=[SwaggerRenderPlugin(path="/")],
    ))

``runbolt`` serves the docs as the first discovered API that sets
``openapi_config`` says (see ``resolve_openapi_config``):

* ``openapi_config=None`` (the default) everywhere: ``default_openapi_config()``, i.e.
  Swagger UI at ``/docs/``, Redoc, Scalar, RapiDoc and Stoplight Elements
  beside it, the schema at ``/docs/openapi.json``;
* an ``OpenAPIConfig``: that configuration;
* ``openapi_config=False`` or ``OpenAPIConfig(enabled=False)``: no docs.

The docs are public unless the configuration protects them:
``guards=``/``auth=`` as on a route, checked by the server before any Python
runs (401/403), or ``django_auth=`` for a Django login (``True`` means
``login_required``; any Django view decorator such as
``staff_member_required`` works), which sends an anonymous visitor to the
login page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .plugins import (
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
)
from .spec import (
    Components,
    Contact,
    ExternalDocumentation,
    License,
    PathItem,
    Reference,
    SecurityRequirement,
    Server,
    Tag,
)

__all__ = ["OpenAPIConfig", "default_openapi_config", "resolve_openapi_config"]


def _default_servers() -> list[Server]:
    return [Server(url="/")]


def _default_exclude_paths() -> list[str]:
    return ["/admin", "/static"]


@dataclass
class OpenAPIConfig:
    """The documentation of an API.

    ``title`` ... ``webhooks`` go into the schema as they are (``security``
    and ``components`` are merged with what the routes' authentication
    requires). ``use_handler_docstrings`` takes each operation's summary and
    description from the handler's docstring. ``path`` is where the docs are
    served, ``render_plugins`` how (Scalar alone when empty); routes at or
    below one of ``exclude_paths`` are left out of the schema.
    ``include_error_responses`` documents the errors each operation can
    answer (401, 403, 413, 422, 429, 500 and the ``HTTPException`` statuses
    its handler raises) with their bodies.

    ``enabled=False`` serves no docs. ``guards`` and ``auth`` protect every
    docs route as they protect a route (``auth`` alone defaults to
    ``BOLT_AUTHENTICATION_CLASSES`` when ``guards`` are given);
    ``django_auth`` requires a Django login: ``True`` for ``login_required``,
    or a view decorator such as ``staff_member_required``. Without them the
    docs are public, whatever the API's default guards say.
    """

    title: str
    version: str
    contact: Contact | None = None
    description: str | None = None
    external_docs: ExternalDocumentation | None = None
    license: License | None = None
    security: list[SecurityRequirement] | None = None
    components: Components = field(default_factory=Components)
    servers: list[Server] = field(default_factory=_default_servers)
    summary: str | None = None
    tags: list[Tag] | None = None
    terms_of_service: str | None = None
    use_handler_docstrings: bool = True
    webhooks: dict[str, PathItem | Reference] | None = None
    path: str = "/docs"
    render_plugins: list[OpenAPIRenderPlugin] = field(default_factory=list)
    exclude_paths: list[str] = field(default_factory=_default_exclude_paths)
    include_error_responses: bool = True
    enabled: bool = True
    guards: list[Any] | None = None
    auth: list[Any] | None = None
    django_auth: Any = None

    def __post_init__(self) -> None:
        for name in ("title", "version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"OpenAPIConfig: {name} must be a non-empty string, not {value!r}")
        if not isinstance(self.path, str):
            raise TypeError(f"OpenAPIConfig: path must be a string such as '/docs', not {self.path!r}")
        self.path = "/" + self.path.strip("/")
        if self.path == "/":
            raise ValueError("OpenAPIConfig: path must name a sub-path such as '/docs', not the site root")
        self.render_plugins = list(self.render_plugins) or [ScalarRenderPlugin()]
        for plugin in self.render_plugins:
            if not isinstance(plugin, OpenAPIRenderPlugin):
                raise TypeError(
                    f"OpenAPIConfig: render_plugins takes render plugins such as SwaggerRenderPlugin(), not {plugin!r}"
                )
        for prefix in self.exclude_paths:
            if not isinstance(prefix, str) or not prefix.startswith("/"):
                raise ValueError(f"OpenAPIConfig: exclude_paths are paths such as '/admin', not {prefix!r}")
        if not isinstance(self.enabled, bool):
            raise TypeError(f"OpenAPIConfig: enabled is True or False, not {self.enabled!r}")
        for name, example in (("guards", "[IsAuthenticated()]"), ("auth", "[JWTAuthentication()]")):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (list, tuple)):
                raise TypeError(f"OpenAPIConfig: {name} takes a list such as {example}, not {value!r}")
        if self.django_auth is not None and self.django_auth is not False and self.django_auth is not True \
                and not callable(self.django_auth):
            raise TypeError(
                "OpenAPIConfig: django_auth takes True (login_required) or a Django view decorator such as "
                f"staff_member_required, not {self.django_auth!r}"
            )

    @property
    def protected(self) -> bool:
        """Whether any of ``guards``, ``auth`` or ``django_auth`` protects the docs."""
        return self.guards is not None or self.auth is not None or bool(self.django_auth)

    @property
    def default_plugin(self) -> OpenAPIRenderPlugin:
        """The plugin ``GET <path>`` redirects to: the one serving ``/``, else the first."""
        return next((p for p in self.render_plugins if "/" in p.paths), self.render_plugins[0])


def default_openapi_config() -> OpenAPIConfig:
    """The docs an API gets without ``openapi_config``: every UI, Swagger at ``/docs/``.

    The title is ``settings.PROJECT_NAME``, else ``settings.SITE_NAME``, else ``"API"``.
    """
    from django.conf import settings

    title = getattr(settings, "PROJECT_NAME", None) or getattr(settings, "SITE_NAME", None) or "API"
    return OpenAPIConfig(
        title=str(title),
        version="1.0.0",
        path="/docs",
        render_plugins=[
            SwaggerRenderPlugin(path="/"),
            RedocRenderPlugin(path="/redoc"),
            ScalarRenderPlugin(path="/scalar"),
            RapidocRenderPlugin(path="/rapidoc"),
            StoplightRenderPlugin(path="/stoplight"),
        ],
    )


def resolve_openapi_config(configs: Iterable[Any]) -> OpenAPIConfig | None:
    """The docs configuration for APIs whose ``openapi_config`` values are ``configs``, in discovery order.

    The first API that says something decides: an ``OpenAPIConfig`` is used
    as it is, ``False`` or ``OpenAPIConfig(enabled=False)`` means no docs (None
    is returned). When every API leaves ``openapi_config`` unset (``None``),
    the default configuration serves the docs.
    """
    configs = list(configs)
    for config in configs:
        if config is None:
            continue
        if config is False:
            return None
        if not isinstance(config, OpenAPIConfig):
            raise TypeError(
                "openapi_config takes an OpenAPIConfig, None for the default docs or False for none; "
                f"got {config!r}"
            )
        return config if config.enabled else None
    return default_openapi_config() if configs else None
