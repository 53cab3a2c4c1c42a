"""Middleware objects: Go-run descriptions, groups, per-route configs."""

import pytest

from django_bolt.middleware import (
    CORSMiddleware,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    RateLimitMiddleware,
    middleware_to_dict,
)


class Timing(Middleware):
    async def process_request(self, request, call_next):
        return await call_next(request)


def test_middleware_is_abstract():
    with pytest.raises(TypeError):
        Middleware()

    class Incomplete(Middleware):
        pass

    with pytest.raises(TypeError):
        Incomplete()


def test_cors_middleware_defaults_to_every_origin():
    assert CORSMiddleware().to_dict() == {"type": "cors", "origins": ["*"], "credentials": False, "max_age": 3600}


def test_cors_middleware_options():
    mw = CORSMiddleware(origins=["https://a"], methods=["GET"], headers=["x"], credentials=True, max_age=5)
    assert middleware_to_dict(mw) == {
        "type": "cors",
        "origins": ["https://a"],
        "methods": ["GET"],
        "headers": ["x"],
        "credentials": True,
        "max_age": 5,
    }


def test_rate_limit_middleware_is_type_rate_limit():
    assert RateLimitMiddleware().to_dict() == {"type": "rate_limit", "rps": 100, "burst": 200, "key": "ip"}
    assert middleware_to_dict(RateLimitMiddleware(rps=3, burst=4, key="user")) == {
        "type": "rate_limit",
        "rps": 3,
        "burst": 4,
        "key": "user",
    }


def test_middleware_to_dict_of_dicts_classes_and_configs():
    entry = {"type": "cors", "origins": ["*"]}
    assert middleware_to_dict(entry) is entry
    assert middleware_to_dict(RateLimitMiddleware)["type"] == "rate_limit"
    config = MiddlewareConfig(RateLimitMiddleware(rps=1), config={"key": "user"})
    assert middleware_to_dict(config) == {"type": "rate_limit", "rps": 1, "burst": 2, "key": "user"}


def test_middleware_to_dict_refuses_python_middleware():
    with pytest.raises(TypeError, match="run in Python"):
        middleware_to_dict(Timing())


def test_group_flattens_and_adds():
    a, b, c = Timing(), Timing(), CORSMiddleware()
    group = MiddlewareGroup(a, MiddlewareGroup(b))
    assert group.middleware == [a, b]
    assert (group + c).middleware == [a, b, c]
    assert (group + MiddlewareGroup(c)).middleware == [a, b, c]
    assert group.middleware == [a, b]


def test_config_route_selection():
    everywhere = MiddlewareConfig(Timing())
    assert everywhere.config == {}
    assert everywhere.applies_to_route("/any")

    skipping = MiddlewareConfig(Timing(), skip_routes={"/health"})
    assert not skipping.applies_to_route("/health")
    assert skipping.applies_to_route("/users")

    only = MiddlewareConfig(Timing(), only_routes=["/admin"], skip_routes=["/admin"])
    assert only.applies_to_route("/admin")
    assert not only.applies_to_route("/users")
