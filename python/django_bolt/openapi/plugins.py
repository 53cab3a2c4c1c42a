"""Render plugins: the pages and files the documentation is served as.

A plugin turns the generated schema into one response body and names the
paths (below ``OpenAPIConfig.path``) it is served at::

    OpenAPIConfig(title="Shop", version="2.0", path="/docs",
                  render_plugins=[SwaggerRenderPlugin(path="/"), RedocRenderPlugin()])

serves Swagger UI at ``/docs/`` and Redoc at ``/docs/redoc``. The schema
itself is always served at ``/docs/openapi.json`` (``JsonRenderPlugin``) and
``/docs/openapi.yaml`` / ``.yml`` (``YamlRenderPlugin``), which the UI pages
load.

The UI pages are small HTML documents whose scripts and styles come from
public CDNs (jsDelivr, unpkg): the reader's browser fetches them, the server
serves nothing but the page. ``js_url``/``css_url`` point a page at a copy
you host yourself, e.g. on an intranet without internet access.

Every plugin takes, keyword-only: ``path`` (a path or a list of paths),
``media_type``, ``favicon`` (URL of the page icon, none by default) and
``style`` (CSS added to the page).
"""

from __future__ import annotations

import html
import json
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Sequence

import msgspec

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
    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        """The response body for ``schema``; ``schema_url`` is where the JSON schema is served."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={list(self.paths)!r})"


class _HTMLRenderPlugin(OpenAPIRenderPlugin):
    """A documentation UI: one HTML page loading its application from a CDN."""

    def _page(self, schema: dict[str, Any], head: str, body: str) -> bytes:
        title = html.escape(str(schema["info"]["title"]))
        icon = f'<link rel="icon" href="{_attr(self.favicon)}">\n' if self.favicon else ""
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{icon}{head}<style>{self.style}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n"
        ).encode()


class SwaggerRenderPlugin(_HTMLRenderPlugin):
    """Swagger UI: an interactive page to read the API and try requests."""

    default_path = "/swagger"

    def __init__(
        self,
        *,
        version: str = "5.18.2",
        js_url: str | None = None,
        css_url: str | None = None,
        standalone_preset_js_url: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        cdn = f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{version}"
        self.version = version
        self.js_url = js_url or f"{cdn}/swagger-ui-bundle.js"
        self.css_url = css_url or f"{cdn}/swagger-ui.css"
        self.standalone_preset_js_url = standalone_preset_js_url or f"{cdn}/swagger-ui-standalone-preset.js"

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        head = f'<link rel="stylesheet" href="{_attr(self.css_url)}">\n'
        body = (
            '<div id="swagger-ui"></div>\n'
            f'<script src="{_attr(self.js_url)}"></script>\n'
            f'<script src="{_attr(self.standalone_preset_js_url)}"></script>\n'
            "<script>\n"
            f"window.ui = SwaggerUIBundle({{url: {_js(schema_url)}, dom_id: '#swagger-ui', deepLinking: true,\n"
            "  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout'});\n"
            "</script>"
        )
        return self._page(schema, head, body)


class RedocRenderPlugin(_HTMLRenderPlugin):
    """Redoc: a three-panel reference page (read-only)."""

    default_path = "/redoc"

    def __init__(self, *, version: str = "next", js_url: str | None = None, google_fonts: bool = True,
                 **options: Any) -> None:
        super().__init__(**options)
        self.version = version
        self.js_url = js_url or f"https://cdn.jsdelivr.net/npm/redoc@{version}/bundles/redoc.standalone.js"
        self.google_fonts = google_fonts

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        head = ""
        if self.google_fonts:
            head = (
                '<link rel="stylesheet" '
                'href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700">\n'
            )
        body = (
            f'<redoc spec-url="{_attr(schema_url)}"></redoc>\n'
            f'<script src="{_attr(self.js_url)}"></script>'
        )
        return self._page(schema, head, body)


class ScalarRenderPlugin(_HTMLRenderPlugin):
    """Scalar API Reference; ``options`` is its configuration object (theme, layout...)."""

    default_path = ("/scalar", "/")

    def __init__(self, *, version: str = "latest", js_url: str | None = None, css_url: str | None = None,
                 options: dict[str, Any] | None = None, **base_options: Any) -> None:
        super().__init__(**base_options)
        self.version = version
        self.js_url = js_url or f"https://cdn.jsdelivr.net/npm/@scalar/api-reference@{version}"
        # The script carries its own styles; a stylesheet is only needed to restyle it.
        self.css_url = css_url
        self.options = dict(options or {})

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        head = f'<link rel="stylesheet" href="{_attr(self.css_url)}">\n' if self.css_url else ""
        configuration = _attr(json.dumps(self.options))
        body = (
            f'<script id="api-reference" data-url="{_attr(schema_url)}" '
            f'data-configuration="{configuration}"></script>\n'
            f'<script src="{_attr(self.js_url)}"></script>'
        )
        return self._page(schema, head, body)


class RapidocRenderPlugin(_HTMLRenderPlugin):
    """RapiDoc: a web component showing the API, with a request console."""

    default_path = "/rapidoc"

    def __init__(self, *, version: str = "9.3.4", js_url: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.version = version
        self.js_url = js_url or f"https://unpkg.com/rapidoc@{version}/dist/rapidoc-min.js"

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        head = f'<script type="module" src="{_attr(self.js_url)}"></script>\n'
        body = (
            f'<rapi-doc spec-url="{_attr(schema_url)}" render-style="read" show-header="false" '
            'allow-spec-url-load="false" allow-spec-file-load="false"></rapi-doc>'
        )
        return self._page(schema, head, body)


class StoplightRenderPlugin(_HTMLRenderPlugin):
    """Stoplight Elements: API reference with a sidebar and a request console."""

    default_path = "/elements"

    def __init__(self, *, version: str = "7.7.18", js_url: str | None = None, css_url: str | None = None,
                 **options: Any) -> None:
        super().__init__(**options)
        cdn = f"https://unpkg.com/@stoplight/elements@{version}"
        self.version = version
        self.js_url = js_url or f"{cdn}/web-components.min.js"
        self.css_url = css_url or f"{cdn}/styles.min.css"

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        head = (
            f'<script src="{_attr(self.js_url)}"></script>\n'
            f'<link rel="stylesheet" href="{_attr(self.css_url)}">\n'
        )
        # Hash routing: the page works at any path without server-side routes of its own.
        body = f'<elements-api apiDescriptionUrl="{_attr(schema_url)}" router="hash" layout="sidebar"></elements-api>'
        return self._page(schema, head, body)


class JsonRenderPlugin(OpenAPIRenderPlugin):
    """The schema as JSON, with OpenAPI's registered media type."""

    default_path = "/openapi.json"

    def __init__(self, *, media_type: str = "application/vnd.oai.openapi+json", **options: Any) -> None:
        super().__init__(media_type=media_type, **options)

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        return msgspec.json.encode(schema)


class YamlRenderPlugin(OpenAPIRenderPlugin):
    """The schema as YAML, written with PyYAML.

    Without PyYAML the body is the schema as JSON text under a comment that
    says so: JSON is valid YAML 1.2, so YAML tools still read it.
    """

    default_path = ("/openapi.yaml", "/openapi.yml")

    def __init__(self, *, media_type: str = "text/yaml; charset=utf-8", **options: Any) -> None:
        super().__init__(media_type=media_type, **options)

    def render(self, schema: dict[str, Any], schema_url: str) -> bytes:
        try:
            import yaml
        except ImportError:
            note = "# PyYAML is not installed: this is the schema as JSON, which is valid YAML too.\n"
            return note.encode() + msgspec.json.format(msgspec.json.encode(schema), indent=2) + b"\n"

        class Dumper(yaml.SafeDumper):
            # A schema object used at two places is written twice, not as a
            # YAML anchor and alias, which many OpenAPI tools do not follow.
            def ignore_aliases(self, data: Any) -> bool:
                return True

        return yaml.dump(schema, Dumper=Dumper, sort_keys=False, allow_unicode=True).encode()
