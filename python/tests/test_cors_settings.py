"""Project-wide CORS settings under both names (CORS_* and BOLT_CORS_*), run by the Go
core: routes without @cors, preflights for unknown paths, CORS headers on 404s."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt import BoltAPI
from django_bolt.middleware import cors
from django_bolt.middleware.cors_settings import global_cors_settings
from django_bolt.testing import TestClient

APP = "https://app.example"


def make_api(with_default: bool = True) -> BoltAPI:
    api = BoltAPI()
    api.get("/plain")(lambda: {"plain": True})

    @api.get("/own")
    @cors(origins=["https://other.example"])
    async def own():
        return {"own": True}

    if with_default:

        @api.get("/default")
        @cors()
        async def default():
            return {"default": True}

    return api


def preflight(client, path, origin=APP, method="GET"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method})


@pytest.mark.parametrize("prefix", ["CORS_", "BOLT_CORS_"])
def test_policy_applies_under_both_names(prefix):
    settings = {
        f"{prefix}ALLOWED_ORIGINS": [APP],
        f"{prefix}ALLOW_CREDENTIALS": True,
        f"{prefix}EXPOSE_HEADERS": ["X-Total"],
        f"{prefix}PREFLIGHT_MAX_AGE": 120,
        f"{prefix}ALLOW_HEADERS": ["Content-Type", "X-Custom"],
    }
    with override_settings(**settings):
        api = make_api()
        with TestClient(api, use_http_layer=True) as client:
            r = client.get("/plain", headers={"Origin": APP})
            assert r.headers["access-control-allow-origin"] == APP
            assert r.headers["access-control-allow-credentials"] == "true"
            assert r.headers["access-control-expose-headers"] == "X-Total"
            p = preflight(client, "/plain")
            assert p.status_code == 204
            assert p.headers["access-control-max-age"] == "120"
            assert p.headers["access-control-allow-headers"] == "Content-Type, X-Custom"
            # Not an allowed origin: no CORS headers.
            assert "access-control-allow-origin" not in client.get("/plain", headers={"Origin": "https://evil.example"}).headers
            # A route's own @cors wins.
            assert "access-control-allow-origin" not in client.get("/own", headers={"Origin": APP}).headers
            # @cors() without origins takes the project's.
            assert client.get("/default", headers={"Origin": APP}).headers["access-control-allow-origin"] == APP


def test_unknown_paths_preflight_204_and_404_carries_cors_headers():
    with override_settings(CORS_ALLOWED_ORIGINS=[APP]):
        api = make_api()
        with TestClient(api, use_http_layer=True) as client:
            p = preflight(client, "/nowhere", method="DELETE")
            assert p.status_code == 204
            assert p.headers["access-control-allow-origin"] == APP
            assert p.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            missing = client.get("/nowhere", headers={"Origin": APP})
            assert missing.status_code == 404
            assert missing.headers["access-control-allow-origin"] == APP
            wrong_method = client.delete("/plain", headers={"Origin": APP})
            assert wrong_method.status_code == 405
            assert wrong_method.headers["access-control-allow-origin"] == APP


def test_allow_all_and_regexes():
    with override_settings(CORS_ALLOW_ALL_ORIGINS=True):
        with TestClient(make_api(), use_http_layer=True) as client:
            assert client.get("/plain", headers={"Origin": "https://x.example"}).headers["access-control-allow-origin"] == "*"
    with override_settings(CORS_ALLOWED_ORIGIN_REGEXES=[r"https://\w+\.example\.com"]):
        with TestClient(make_api(), use_http_layer=True) as client:
            ok = client.get("/plain", headers={"Origin": "https://shop.example.com"})
            assert ok.headers["access-control-allow-origin"] == "https://shop.example.com"
            assert "access-control-allow-origin" not in client.get("/plain", headers={"Origin": "https://shop.example.org"}).headers


def test_no_settings_no_policy():
    assert global_cors_settings() is None
    with TestClient(make_api(with_default=False), use_http_layer=True) as client:
        assert preflight(client, "/nowhere").status_code == 404
        assert "access-control-allow-origin" not in client.get("/plain", headers={"Origin": APP}).headers


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"CORS_ALLOWED_ORIGINS": [APP], "BOLT_CORS_ALLOWED_ORIGINS": ["https://b.example"]}, "disagree"),
        ({"CORS_ALLOWED_ORIGINS": APP}, "CORS_ALLOWED_ORIGINS must be a list"),
        ({"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOW_CREDENTIALS": True}, "wildcard"),
        ({"CORS_ALLOWED_ORIGIN_REGEXES": ["(unclosed"]}, "not a regular expression"),
        ({"BOLT_CORS_PREFLIGHT_MAX_AGE": -1, "CORS_ALLOWED_ORIGINS": [APP]}, "PREFLIGHT_MAX_AGE"),
        ({"CORS_ALLOW_CREDENTIALS": "yes", "CORS_ALLOWED_ORIGINS": [APP]}, "CORS_ALLOW_CREDENTIALS must be True or False"),
    ],
)
def test_wrong_settings_name_the_setting(settings, message):
    with override_settings(**settings):
        with pytest.raises(ImproperlyConfigured, match=message):
            global_cors_settings()


def test_same_value_under_both_names_is_fine():
    with override_settings(CORS_ALLOWED_ORIGINS=[APP], BOLT_CORS_ALLOWED_ORIGINS=(APP,)):
        assert global_cors_settings()["origins"] == [APP]
