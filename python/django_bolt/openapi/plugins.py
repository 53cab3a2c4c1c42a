"""Render plugins: the pages and files the documentation is served as.

A plugin turns the generated schema into one response body and names the
paths (below ``OpenAPIConfig.path``) it is served at::

    OpenAPIConfig(title="Shop", version="2.0", path="/docs",
                  render_plugins=[SwaggerRenderPlugin(path="/"), RedocRenderPlugin()])

serves Swagger UI at ``/docs/`` and Redoc at ``/docs/redoc``. The schema
itself is always served at ``/docs/openapi.json`` (``JsonRenderPlugin``) and
``/docs/openapi.yaml`` / ``.yml`` (``YamlRenderPlugin``), which the UI pages
load.

The UI pages are small HTML documents whose scripts and styles ship in the
package (``assets.py`` pins each UI's version) and are served below the docs
path, so the documentation works on a machine without internet access. To
load them from public CDNs (jsDelivr, unpkg) instead, set
``BOLT_OPENAPI_CDN = True`` in the settings or pass ``cdn=True`` to a plugin;
a ``version=`` other than the shipped one also loads that version from its
CDN. ``js_url``/``css_url`` point a page at a copy you host yourself.

Every plugin takes, keyword-only: ``path`` (a path or a list of paths),
``media_type``, ``favicon`` and ``style``. ``favicon`` is the page icon as a
URL or as the HTML tag itself (``'<link rel="icon" href="/favicon.ico">'``);
``style`` is CSS, or a ``<style>`` element, added to the page. ``render()``
returns the page as a string.
"""

from __future__ import annotations

import html
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import msgspec

from .assets import ASSETS

__all__ = [
    "OpenAPIRenderPlugin",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
]

HTML_MEDIA_TYPE = "text/html; charset=utf-8"
DEFAULT_STYLE = "body { margin: 0; padding: 0; }"


def _attr(value: str) -> str:
    """``value`` made safe inside a double-quoted HTML attribute."""
    return html.escape(value, quote=True)


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that cannot close its ``<script>`` element."""
    return json.dumps(value).replace("</", "<\\/")


class OpenAPIRenderPlugin(ABC):
    """Renders the schema as one response body, served at each of ``paths``."""

    default_path: ClassVar[str | Sequence[str]]

    def __init__(
        self,
        *,
        path: str | Sequence[str] | None = None,
        media_type: str = HTML_MEDIA_TYPE,
        favicon: str | None = None,
        style: str = DEFAULT_STYLE,
    ) -> None:
        raw = self.default_path if path is None else path
        paths = (raw,) if isinstance(raw, str) else tuple(raw)
        if not paths:
            raise ValueError(f"{type(self).__name__}: path must name at least one path, e.g. '/'")
        for one in paths:
            if not isinstance(one, str) or not one.startswith("/"):
                raise ValueError(f"{type(self).__name__}: paths start with '/', e.g. '/swagger'; got {one!r}")
        self.paths: tuple[str, ...] = paths
        self.media_type = media_type
        self.favicon = favicon
        self.style = style

    @abstractmethod
    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        """The response body for ``openapi_schema``; ``schema_url`` is where the JSON schema is served."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={list(self.paths)!r})"


def _favicon_tag(favicon: str | None) -> str:
    """The page icon: an HTML tag as given, or a URL made into one."""
    if not favicon:
        return ""
    if favicon.lstrip().startswith("<"):
        return favicon.strip() + "\n"
    return f'<link rel="icon" href="{_attr(favicon)}">\n'


def _style_tag(style: str) -> str:
    """The page's extra style: a ``<style>`` element as given, or CSS wrapped in one."""
    if not style:
        return ""
    if style.lstrip().startswith("<"):
        return style.strip() + "\n"
    return f"<style>{style}</style>\n"


def _cdn_setting() -> bool:
    from django.conf import settings

    return bool(settings.configured and getattr(settings, "BOLT_OPENAPI_CDN", False))


class _HTMLRenderPlugin(OpenAPIRenderPlugin):
    """A documentation UI: one HTML page loading its application's scripts and styles.

    ``ui`` names the shipped assets (``assets.ASSETS``); ``cdn_template``
    is the CDN directory of a version. ``cdn=None`` follows the
    ``BOLT_OPENAPI_CDN`` setting, except that a version other than the
    shipped one can only come from the CDN.
    """

    ui: ClassVar[str]
    cdn_template: ClassVar[str]

    def __init__(self, *, version: str | None = None, cdn: bool | None = None, **options: Any) -> None:
        super().__init__(**options)
        shipped = ASSETS[self.ui].version
        self.version = version or shipped
        if cdn is False and self.version != shipped:
            raise ValueError(
                f"{type(self).__name__}: version {self.version!r} is not shipped with django-bolt "
                f"({shipped!r} is); pass cdn=True to load it from the CDN, or leave version= out"
            )
        self.cdn = cdn

    def uses_cdn(self) -> bool:
        """Whether the page loads its assets from the CDN rather than from the server."""
        if self.cdn is not None:
            return self.cdn
        return self.version != ASSETS[self.ui].version or _cdn_setting()

    def asset_url(self, explicit: str | None, file: str, schema_url: str, cdn_file: str | None = None) -> str:
        """Where the page loads ``file`` from: ``explicit``, the CDN, or the docs' own assets."""
        if explicit:
            return explicit
        if self.uses_cdn():
            return self.cdn_template.format(version=self.version) + "/" + (cdn_file or file)
        docs = schema_url.rpartition("/")[0]
        return f"{docs}/assets/{ASSETS[self.ui].directory}/{file}"

    def _page(self, schema: dict[str, Any], head: str, body: str) -> str:
        title = html.escape(str(schema["info"]["title"]))
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{_favicon_tag(self.favicon)}{head}{_style_tag(self.style)}</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n"
        )


class SwaggerRenderPlugin(_HTMLRenderPlugin):
    """Swagger UI: an interactive page to read the API and try requests."""

    default_path = "/swagger"
    ui = "swagger-ui"
    cdn_template = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@{version}"

    def __init__(
        self,
        *,
        js_url: str | None = None,
        css_url: str | None = None,
        standalone_preset_js_url: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.js_url = js_url
        self.css_url = css_url
        self.standalone_preset_js_url = standalone_preset_js_url

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        css = self.asset_url(self.css_url, "swagger-ui.css", schema_url)
        js = self.asset_url(self.js_url, "swagger-ui-bundle.js", schema_url)
        preset = self.asset_url(self.standalone_preset_js_url, "swagger-ui-standalone-preset.js", schema_url)
        head = f'<link rel="stylesheet" href="{_attr(css)}">\n'
        body = (
            '<div id="swagger-ui"></div>\n'
            f'<script src="{_attr(js)}"></script>\n'
            f'<script src="{_attr(preset)}"></script>\n'
            "<script>\n"
            # validatorUrl null: no badge asking a public validator about the schema.
            f"window.ui = SwaggerUIBundle({{url: {_js(schema_url)}, dom_id: '#swagger-ui', deepLinking: true,\n"
            "  validatorUrl: null,\n"
            "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout'});\n"
            "</script>"
        )
        return self._page(openapi_schema, head, body)


class RedocRenderPlugin(_HTMLRenderPlugin):
    """Redoc: a three-panel reference page (read-only).

    ``google_fonts`` loads Redoc's fonts from Google Fonts; by default only
    when the page uses the CDN anyway (a stylesheet that cannot load blocks
    the page on a machine without internet access).
    """

    default_path = "/redoc"
    ui = "redoc"
    cdn_template = "https://cdn.jsdelivr.net/npm/redoc@{version}/bundles"

    def __init__(self, *, js_url: str | None = None, google_fonts: bool | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.js_url = js_url
        self.google_fonts = google_fonts

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        head = ""
        if self.google_fonts or (self.google_fonts is None and self.uses_cdn()):
            head = (
                '<link rel="stylesheet" '
                'href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700">\n'
            )
        js = self.asset_url(self.js_url, "redoc.standalone.js", schema_url)
        body = (
            f'<redoc spec-url="{_attr(schema_url)}"></redoc>\n'
            f'<script src="{_attr(js)}"></script>'
        )
        return self._page(openapi_schema, head, body)


class ScalarRenderPlugin(_HTMLRenderPlugin):
    """Scalar API Reference; ``options`` is its configuration object (theme, layout...).

    Served from the package, the page uses the system fonts
    (``withDefaultFonts: false``) unless ``options`` says otherwise.
    """

    default_path = ("/scalar", "/")
    ui = "scalar"
    cdn_template = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@{version}"

    def __init__(self, *, js_url: str | None = None, css_url: str | None = None,
                 options: dict[str, Any] | None = None, **base_options: Any) -> None:
        super().__init__(**base_options)
        self.js_url = js_url
        # The script carries its own styles; a stylesheet is only needed to restyle it.
        self.css_url = css_url
        self.options = dict(options or {})

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        head = f'<link rel="stylesheet" href="{_attr(self.css_url)}">\n' if self.css_url else ""
        options = dict(self.options)
        if not self.uses_cdn():
            options.setdefault("withDefaultFonts", False)
        # The CDN serves the package's browser bundle at its bare URL.
        js = self.asset_url(self.js_url, "standalone.js", schema_url, cdn_file="dist/browser/standalone.js")
        body = (
            f'<script id="api-reference" data-url="{_attr(schema_url)}" '
            f'data-configuration="{_attr(json.dumps(options))}"></script>\n'
            f'<script src="{_attr(js)}"></script>'
        )
        return self._page(openapi_schema, head, body)


class RapidocRenderPlugin(_HTMLRenderPlugin):
    """RapiDoc: a web component showing the API, with a request console."""

    default_path = "/rapidoc"
    ui = "rapidoc"
    cdn_template = "https://unpkg.com/rapidoc@{version}/dist"

    def __init__(self, *, js_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.js_url = js_url

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.asset_url(self.js_url, "rapidoc-min.js", schema_url)
        head = f'<script type="module" src="{_attr(js)}"></script>\n'
        body = (
            f'<rapi-doc spec-url="{_attr(schema_url)}" render-style="read" show-header="false" '
            'allow-spec-url-load="false" allow-spec-file-load="false"></rapi-doc>'
        )
        return self._page(openapi_schema, head, body)


class StoplightRenderPlugin(_HTMLRenderPlugin):
    """Stoplight Elements: API reference with a sidebar and a request console."""

    default_path = "/elements"
    ui = "elements"
    cdn_template = "https://unpkg.com/@stoplight/elements@{version}"

    def __init__(self, *, js_url: str | None = None, css_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.js_url = js_url
        self.css_url = css_url

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        js = self.asset_url(self.js_url, "web-components.min.js", schema_url)
        css = self.asset_url(self.css_url, "styles.min.css", schema_url)
        head = f'<script src="{_attr(js)}"></script>\n<link rel="stylesheet" href="{_attr(css)}">\n'
        # Hash routing: the page works at any path without server-side routes of its own.
        body = f'<elements-api apiDescriptionUrl="{_attr(schema_url)}" router="hash" layout="sidebar"></elements-api>'
        return self._page(openapi_schema, head, body)


class JsonRenderPlugin(OpenAPIRenderPlugin):
    """The schema as JSON, with OpenAPI's registered media type."""

    default_path = "/openapi.json"

    def __init__(self, *, media_type: str = "application/vnd.oai.openapi+json", **options: Any) -> None:
        super().__init__(media_type=media_type, **options)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        return msgspec.json.encode(openapi_schema).decode()


class YamlRenderPlugin(OpenAPIRenderPlugin):
    """The schema as YAML, written with PyYAML.

    Without PyYAML the body is the schema as JSON text under a comment that
    says so: JSON is valid YAML 1.2, so YAML tools still read it.
    """

    default_path = ("/openapi.yaml", "/openapi.yml")

    def __init__(self, *, media_type: str = "text/yaml; charset=utf-8", **options: Any) -> None:
        super().__init__(media_type=media_type, **options)

    def render(self, openapi_schema: dict[str, Any], schema_url: str) -> str:
        try:
            import yaml
        except ImportError:
            note = "# PyYAML is not installed: this is the schema as JSON, which is valid YAML too.\n"
            return note + msgspec.json.format(msgspec.json.encode(openapi_schema), indent=2).decode() + "\n"

        class Dumper(yaml.SafeDumper):
            # A schema object used at two places is written twice, not as a
            # YAML anchor and alias, which many OpenAPI tools do not follow.
            def ignore_aliases(self, data: Any) -> bool:
                return True

        return yaml.dump(openapi_schema, Dumper=Dumper, sort_keys=False, allow_unicode=True)
