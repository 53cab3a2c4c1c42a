"""Serving the docs, end to end through the Go pipeline."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import pytest
from django.test import override_settings

import django_bolt  # noqa: E402
from django_bolt import (  # noqa: E402
    BoltAPI,
    IsAuthenticated,
    JsonRenderPlugin,
    JWTAuthentication,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from django_bolt.middleware import Middleware  # noqa: E402
from django_bolt.openapi import routes as openapi_routes  # noqa: E402
from django_bolt.openapi.config import default_openapi_config, resolve_openapi_config  # noqa: E402
from django_bolt.openapi.routes import OpenAPIRouteRegistrar  # noqa: E402
from django_bolt.params import Header  # noqa: E402
from django_bolt.testing import TestClient  # noqa: E402

OPENAPI_JSON = "application/vnd.oai.openapi+json"


class Item(msgspec.Struct):
    name: str
    price: float


def shop_api(**kwargs) -> BoltAPI:
    api = BoltAPI(**kwargs)

    @api.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None) -> Item:
        """Get one item."""
        return Item("a", 1.0)

    @api.post("/items", status_code=201, auth=[JWTAuthentication(secret="s")], guards=[IsAuthenticated()])
    async def create_item(item: Item, x_trace: Annotated[str, Header()] = "") -> Item:
        return item

    return api


def docs_client(api: BoltAPI, config: OpenAPIConfig | None = None) -> TestClient:
    OpenAPIRouteRegistrar(api, config or default_openapi_config()).register()
    return TestClient(api)


# -- routes ----------------------------------------------------------------------------------


def test_schema_is_served_as_openapi_json():
    with docs_client(shop_api()) as client:
        response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == OPENAPI_JSON
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "API", "version": "1.0.0"}
    assert set(doc["paths"]) == {"/items/{item_id}", "/items"}
    assert doc["paths"]["/items"]["post"]["security"] == [{"BearerAuth": []}]


def test_schema_validates_against_the_openapi_specification():
    validator = pytest.importorskip("openapi_spec_validator")
    with docs_client(shop_api()) as client:
        validator.validate(client.get("/docs/openapi.json").json())


@pytest.mark.parametrize("path", ["/docs/openapi.yaml", "/docs/openapi.yml"])
def test_schema_is_served_as_yaml(path):
    yaml = pytest.importorskip("yaml")
    with docs_client(shop_api()) as client:
        response = client.get(path)
        as_json = client.get("/docs/openapi.json").json()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/yaml; charset=utf-8"
    assert yaml.safe_load(response.text) == as_json
    assert "&id" not in response.text  # no YAML anchors


def test_yaml_without_pyyaml_is_json_text_under_a_comment(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` fail
    with docs_client(shop_api()) as client:
        response = client.get("/docs/openapi.yaml")
        as_json = client.get("/docs/openapi.json").json()
    assert response.status_code == 200
    first, _, rest = response.text.partition("\n")
    assert first.startswith("# PyYAML is not installed")
    assert msgspec.json.decode(rest) == as_json


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/docs/", "SwaggerUIBundle"),
        ("/docs/redoc", "<redoc spec-url=\"/docs/openapi.json\""),
        ("/docs/scalar", 'data-url="/docs/openapi.json"'),
        ("/docs/rapidoc", '<rapi-doc spec-url="/docs/openapi.json"'),
        ("/docs/stoplight", '<elements-api apiDescriptionUrl="/docs/openapi.json"'),
    ],
)
def test_default_ui_pages(path, marker):
    with docs_client(shop_api()) as client:
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert marker in response.text
    assert "<title>API</title>" in response.text


def test_docs_path_redirects_to_the_default_page():
    with docs_client(shop_api()) as client:
        response = client.get("/docs", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/docs/"


def test_custom_path_and_plugins():
    config = OpenAPIConfig(
        title="Shop",
        version="2.0",
        path="api-docs/",
        render_plugins=[RedocRenderPlugin(), SwaggerRenderPlugin(path=["/swagger", "/"])],
    )
    with docs_client(shop_api(), config) as client:
        assert client.get("/api-docs", follow_redirects=False).headers["location"] == "/api-docs/swagger"
        assert "SwaggerUIBundle" in client.get("/api-docs/").text
        assert "<redoc" in client.get("/api-docs/redoc").text
        assert client.get("/api-docs/openapi.json").json()["info"]["title"] == "Shop"
        assert client.get("/docs/openapi.json").status_code == 404


def test_without_plugins_scalar_serves_the_page():
    config = OpenAPIConfig(title="Shop", version="2.0", path="/schema")
    with docs_client(shop_api(), config) as client:
        # The redirect goes to the default plugin's first path.
        assert client.get("/schema", follow_redirects=False).headers["location"] == "/schema/scalar"
        assert 'id="api-reference"' in client.get("/schema/").text
        assert 'id="api-reference"' in client.get("/schema/scalar").text


def test_own_json_plugin_path_is_served_beside_the_standard_one():
    config = OpenAPIConfig(title="Shop", version="2.0", path="/docs",
                           render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin(path="/spec.json")])
    with docs_client(shop_api(), config) as client:
        assert client.get("/docs/spec.json").json() == client.get("/docs/openapi.json").json()


def test_two_plugins_on_one_path_is_an_error():
    plugins = [SwaggerRenderPlugin(path="/"), RedocRenderPlugin(path="/")]
    config = OpenAPIConfig(title="Shop", version="2.0", render_plugins=plugins)
    with pytest.raises(ValueError, match="both serve /docs/"):
        OpenAPIRouteRegistrar(BoltAPI(), config).register()


def test_docs_are_public_whatever_the_api_defaults():
    class Deny(Middleware):
        async def process_request(self, request, call_next):
            return 403, [("content-type", "text/plain")], b"denied"

    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated()]):
        api = BoltAPI(middleware=[Deny()])

        @api.get("/private")
        async def private():
            return {}

        with docs_client(api) as client:
            assert client.get("/private").status_code == 401
            assert client.get("/docs/openapi.json").status_code == 200
            assert client.get("/docs/").status_code == 200
            assert client.get("/docs", follow_redirects=False).status_code == 307


def test_guards_and_auth_protect_every_docs_route():
    secret = "s" * 32
    config = OpenAPIConfig(title="Shop", version="1", guards=[IsAuthenticated()],
                           auth=[JWTAuthentication(secret=secret)])
    api = shop_api()
    with docs_client(api, config) as client:
        for path in ("/docs", "/docs/", "/docs/openapi.json", "/docs/openapi.yaml"):
            assert client.get(path, follow_redirects=False).status_code == 401, path
        from django_bolt.auth import Token

        token = Token.create(sub="1").encode(secret=secret)
        ok = client.get("/docs/openapi.json", headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        # The document does not describe its own docs routes, protected or not.
        assert not any(path.startswith("/docs") for path in ok.json()["paths"])


def test_guards_alone_use_the_default_authentication():
    config = OpenAPIConfig(title="Shop", version="1", guards=[IsAuthenticated()])
    assert OpenAPIRouteRegistrar(BoltAPI(), config).access()["auth"] is None
    config = OpenAPIConfig(title="Shop", version="1", auth=[JWTAuthentication(secret="s")])
    assert OpenAPIRouteRegistrar(BoltAPI(), config).access()["guards"] == []


def test_django_auth_needs_the_login_middleware():
    from django.core.exceptions import ImproperlyConfigured

    config = OpenAPIConfig(title="Shop", version="1", django_auth=True)
    with override_settings(MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"]):
        with pytest.raises(ImproperlyConfigured, match="AuthenticationMiddleware to settings.MIDDLEWARE"):
            OpenAPIRouteRegistrar(BoltAPI(), config).register()


def test_schema_is_generated_once(monkeypatch):
    calls = []
    real = openapi_routes.SchemaGenerator

    class Counting(real):
        def generate(self):
            calls.append(1)
            return super().generate()

    monkeypatch.setattr(openapi_routes, "SchemaGenerator", Counting)
    with docs_client(shop_api()) as client:
        for path in ("/docs/openapi.json", "/docs/openapi.json", "/docs/openapi.yaml", "/docs/", "/docs/redoc"):
            assert client.get(path).status_code == 200
    assert calls == [1]


def test_docs_routes_are_not_in_the_schema():
    with docs_client(shop_api()) as client:
        paths = client.get("/docs/openapi.json").json()["paths"]
    assert not any(path.startswith("/docs") for path in paths)


# -- configuration ---------------------------------------------------------------------------


def test_config_defaults():
    config = OpenAPIConfig(title="Shop", version="1")
    assert config.path == "/docs"
    assert (config.enabled, config.guards, config.auth, config.django_auth) == (True, None, None, None)
    assert not config.protected
    assert [type(p) for p in config.render_plugins] == [ScalarRenderPlugin]
    assert config.default_plugin is config.render_plugins[0]
    assert [s.url for s in config.servers] == ["/"]
    assert config.exclude_paths == ["/admin", "/static"]
    assert config.use_handler_docstrings is True
    assert config.components.schemas == {}


@pytest.mark.parametrize(("given", "expected"), [("docs", "/docs"), ("/docs/", "/docs"), ("//a/b//", "/a/b")])
def test_config_path_is_normalised(given, expected):
    assert OpenAPIConfig(title="t", version="1", path=given).path == expected


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"path": "/"}, ValueError),
        ({"title": ""}, ValueError),
        ({"render_plugins": ["swagger"]}, TypeError),
        ({"exclude_paths": ["admin"]}, ValueError),
        ({"enabled": "no"}, TypeError),
        ({"guards": IsAuthenticated()}, TypeError),
        ({"auth": JWTAuthentication(secret="s")}, TypeError),
        ({"django_auth": "login_required"}, TypeError),
    ],
)
def test_config_rejects_mistakes(kwargs, error):
    with pytest.raises(error):
        OpenAPIConfig(**{"title": "t", "version": "1", **kwargs})


def test_default_plugin_is_the_one_serving_the_root():
    config = OpenAPIConfig(title="t", version="1", render_plugins=[RedocRenderPlugin(), RapidocRenderPlugin(path="/")])
    assert isinstance(config.default_plugin, RapidocRenderPlugin)
    config = OpenAPIConfig(title="t", version="1", render_plugins=[RedocRenderPlugin(), RapidocRenderPlugin()])
    assert isinstance(config.default_plugin, RedocRenderPlugin)


def test_default_config():
    config = default_openapi_config()
    assert (config.title, config.version, config.path) == ("API", "1.0.0", "/docs")
    assert [(type(p), p.paths) for p in config.render_plugins] == [
        (SwaggerRenderPlugin, ("/",)),
        (RedocRenderPlugin, ("/redoc",)),
        (ScalarRenderPlugin, ("/scalar",)),
        (RapidocRenderPlugin, ("/rapidoc",)),
        (StoplightRenderPlugin, ("/stoplight",)),
    ]


def test_default_title_comes_from_settings():
    with override_settings(SITE_NAME="Site"):
        assert default_openapi_config().title == "Site"
        with override_settings(PROJECT_NAME="Project"):
            assert default_openapi_config().title == "Project"


def test_resolve_config_takes_the_first_api_that_sets_one():
    own = OpenAPIConfig(title="Own", version="1")
    off = OpenAPIConfig(title="Off", version="1", enabled=False)
    assert resolve_openapi_config([None, own, False]) is own
    assert resolve_openapi_config([None, None]).path == "/docs"
    assert resolve_openapi_config([None, False, own]) is None
    assert resolve_openapi_config([off, own]) is None
    assert resolve_openapi_config([None, off]) is None
    assert resolve_openapi_config([]) is None
    with pytest.raises(TypeError, match="openapi_config"):
        resolve_openapi_config([True])


# -- plugins ---------------------------------------------------------------------------------


def test_plugin_default_paths_and_media_types():
    assert SwaggerRenderPlugin().paths == ("/swagger",)
    assert RedocRenderPlugin().paths == ("/redoc",)
    assert ScalarRenderPlugin().paths == ("/scalar", "/")
    assert RapidocRenderPlugin().paths == ("/rapidoc",)
    assert StoplightRenderPlugin().paths == ("/elements",)
    assert JsonRenderPlugin().paths == ("/openapi.json",)
    assert YamlRenderPlugin().paths == ("/openapi.yaml", "/openapi.yml")
    assert SwaggerRenderPlugin().media_type == "text/html; charset=utf-8"
    assert JsonRenderPlugin().media_type == OPENAPI_JSON
    assert YamlRenderPlugin().media_type == "text/yaml; charset=utf-8"


def test_plugin_paths_start_with_a_slash():
    with pytest.raises(ValueError, match="start with '/'"):
        SwaggerRenderPlugin(path="swagger")


def test_pages_escape_the_title_and_use_the_configured_assets():
    schema = {"info": {"title": "</title><script>alert(1)</script>"}}
    plugin = SwaggerRenderPlugin(version="5.0.0", favicon="/icon.png", style="h1 {}")
    page = plugin.render(schema, "/d/openapi.json")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/title&gt;" in page
    assert "swagger-ui-dist@5.0.0/swagger-ui-bundle.js" in page
    assert '<link rel="icon" href="/icon.png">' in page
    assert "<style>h1 {}</style>" in page
    own = RedocRenderPlugin(js_url="https://intranet/redoc.js", google_fonts=False).render(schema, "/x")
    assert 'src="https://intranet/redoc.js"' in own
    assert "fonts.googleapis.com" not in own


def test_scalar_options_become_its_configuration():
    page = ScalarRenderPlugin(options={"theme": "moon"}, cdn=True).render({"info": {"title": "t"}}, "/x")
    assert 'data-configuration="{&quot;theme&quot;: &quot;moon&quot;}"' in page
    offline = ScalarRenderPlugin(options={"theme": "moon"}).render({"info": {"title": "t"}}, "/x")
    assert "&quot;withDefaultFonts&quot;: false" in offline


def test_favicon_and_style_take_the_originals_html_tags():
    tags = SwaggerRenderPlugin(
        favicon="<link rel='icon' type='image/png' href='/static/icon.png'>",
        style="<style>body { margin: 0 }</style>",
    ).render({"info": {"title": "t"}}, "/docs/openapi.json")
    assert "<link rel='icon' type='image/png' href='/static/icon.png'>\n" in tags
    assert "<style>body { margin: 0 }</style>\n" in tags
    assert "<style><style>" not in tags and 'href="<link' not in tags


@pytest.mark.parametrize("plugin", [
    SwaggerRenderPlugin(), RedocRenderPlugin(), ScalarRenderPlugin(), RapidocRenderPlugin(), StoplightRenderPlugin()])
def test_pages_load_only_shipped_assets_by_default(plugin):
    page = plugin.render({"info": {"title": "t"}}, "/docs/openapi.json")
    assert isinstance(page, str)
    assert "http://" not in page and "https://" not in page
    assert f"/docs/assets/{plugin.ui}-{plugin.version}/" in page


@pytest.mark.parametrize("plugin_class", [
    SwaggerRenderPlugin, RedocRenderPlugin, ScalarRenderPlugin, RapidocRenderPlugin, StoplightRenderPlugin])
def test_cdn_is_opt_in(plugin_class):
    schema = {"info": {"title": "t"}}
    with override_settings(BOLT_OPENAPI_CDN=True):
        from_setting = plugin_class().render(schema, "/docs/openapi.json")
        opted_out = plugin_class(cdn=False).render(schema, "/docs/openapi.json")
    assert "/docs/assets/" not in from_setting and "https://" in from_setting
    assert "https://" not in opted_out
    assert "/docs/assets/" not in plugin_class(cdn=True).render(schema, "/docs/openapi.json")


def test_a_version_not_shipped_comes_from_the_cdn():
    assert "swagger-ui-dist@5.0.0/" in SwaggerRenderPlugin(version="5.0.0").render({"info": {"title": "t"}}, "/x")
    with pytest.raises(ValueError, match="not shipped.*cdn=True"):
        SwaggerRenderPlugin(version="5.0.0", cdn=False)


# -- shipped assets --------------------------------------------------------------------------


def _asset_urls(page: str) -> list[str]:
    import re

    return re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', page)


@pytest.mark.parametrize("path", ["/docs/", "/docs/redoc", "/docs/scalar", "/docs/rapidoc", "/docs/stoplight"])
def test_every_asset_a_page_names_is_served(path):
    with docs_client(shop_api()) as client:
        urls = _asset_urls(client.get(path).text)
        assert urls
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert response.headers["etag"].startswith('"')
            assert len(response.content) > 10_000


def test_assets_are_sent_gzipped_and_answer_304_to_their_etag():
    from django_bolt.openapi.assets import ASSETS

    url = f"/docs/assets/{ASSETS['swagger-ui'].directory}/swagger-ui-bundle.js"
    with docs_client(shop_api()) as client:
        gzipped = client.get(url, headers={"accept-encoding": "gzip, deflate"})
        assert gzipped.status_code == 200
        assert gzipped.headers["content-type"] == "text/javascript; charset=utf-8"
        assert gzipped.headers["content-encoding"] == "gzip"
        assert gzipped.headers["vary"] == "Accept-Encoding"
        assert int(gzipped.headers["content-length"]) < len(gzipped.content) / 3
        plain = client.get(url, headers={"accept-encoding": "gzip;q=0, identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == gzipped.content
        assert plain.headers["etag"] != gzipped.headers["etag"]
        for response, encoding in ((gzipped, "gzip"), (plain, "identity")):
            etag = response.headers["etag"]
            again = client.get(url, headers={"if-none-match": etag, "accept-encoding": encoding})
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == etag
        weak_list = client.get(url, headers={"if-none-match": f'"other", W/{plain.headers["etag"]}',
                                             "accept-encoding": "identity"})
        assert weak_list.status_code == 304
        assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200
        assert client.get(url, headers={"accept-encoding": "gzip;q=x"}).status_code == 200


@pytest.mark.parametrize("url", [
    "/docs/assets/swagger-ui-5.18.2/LICENSE",
    "/docs/assets/swagger-ui-0.0.1/swagger-ui-bundle.js",
    "/docs/assets/swagger-ui-5.18.2/..%2F..%2Fassets.py",
    "/docs/assets/nothing/here.js",
    "/docs/assets/swagger-ui-5.18.2%2Fswagger-ui-bundle.js",
])
def test_only_listed_assets_are_served(url):
    with docs_client(shop_api()) as client:
        response = client.get(url)
        assert response.status_code == 404
        assert response.text == "Not Found"  # the server's own 404, as for any unknown path
        assert client.post("/docs/assets/swagger-ui-5.18.2/swagger-ui-bundle.js").status_code == 404


# -- runbolt start-up ------------------------------------------------------------------------


boot_api: BoltAPI | None = None


@pytest.fixture
def boot_load(monkeypatch):
    """``_runtime.boot.load`` on ``boot_api`` of this module, leaving sys.path and logging as they were."""
    from django_bolt._runtime import boot

    bolt_logger = logging.getLogger("django_bolt")
    saved = (list(sys.path), list(bolt_logger.handlers), bolt_logger.level, bolt_logger.propagate)

    def load(api: BoltAPI) -> dict:
        monkeypatch.setattr(sys.modules[__name__], "boot_api", api)
        with override_settings(BOLT_API=[f"{__name__}:boot_api"]):
            return msgspec.msgpack.decode(boot.load(list(sys.path), {"no_admin": True}))

    yield load
    sys.path[:] = saved[0]
    bolt_logger.handlers, bolt_logger.level, bolt_logger.propagate = saved[1], saved[2], saved[3]


def test_runbolt_registers_public_docs_routes(boot_load):
    table = boot_load(shop_api())
    routes = {(r["method"], r["path"]): r for r in table["routes"]}
    for path in ("/docs", "/docs/", "/docs/redoc", "/docs/openapi.json", "/docs/openapi.yaml", "/docs/openapi.yml"):
        assert routes[("GET", path)]["security"] is None
    assert routes[("POST", "/items")]["security"]["auth_backends"][0]["type"] == "jwt"
    # The UIs' files are no Python route: the Go server serves them from the shipped directory.
    assert not any(path.startswith("/docs/assets") for _, path in routes)
    assets = table["docs_assets"]
    assert assets["url_prefix"] == "/docs/assets"
    assert "swagger-ui-5.18.2/swagger-ui-bundle.js" in assets["files"]
    assert all((Path(assets["root"]) / name).is_file() for name in assets["files"])


def test_runbolt_uses_the_api_config(boot_load):
    table = boot_load(shop_api(openapi_config=OpenAPIConfig(title="Shop", version="2", path="/reference")))
    paths = {r["path"] for r in table["routes"]}
    assert "/reference/openapi.json" in paths
    assert not any(p.startswith("/docs") for p in paths)


def test_runbolt_serves_no_docs_when_disabled(boot_load):
    table = boot_load(shop_api(openapi_config=False))
    assert {r["path"] for r in table["routes"]} == {"/items/{item_id}", "/items"}
    assert table["docs_assets"] is None


def test_top_level_exports():
    for name in ("OpenAPIConfig", "SwaggerRenderPlugin", "RedocRenderPlugin", "ScalarRenderPlugin",
                 "RapidocRenderPlugin", "StoplightRenderPlugin", "JsonRenderPlugin", "YamlRenderPlugin"):
        assert name in django_bolt.__all__
        assert getattr(django_bolt, name) is getattr(django_bolt.openapi, name)
