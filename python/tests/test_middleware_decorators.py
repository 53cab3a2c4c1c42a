"""Per-route decorators record entries on the function, in application order."""

import pytest
from django.test import override_settings

from django_bolt.auth import cors as auth_cors
from django_bolt.auth import rate_limit as auth_rate_limit
from django_bolt.middleware import (
    CORSMiddleware,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    RateLimitMiddleware,
    cors,
    middleware,
    no_compress,
    rate_limit,
    skip_middleware,
)


class Timing(Middleware):
    async def process_request(self, request, call_next):
        return await call_next(request)


def test_auth_reexports_the_same_decorators():
    assert auth_cors is cors
    assert auth_rate_limit is rate_limit


def test_rate_limit_entry_and_default_burst():
    @rate_limit(rps=10)
    def handler():
        pass

    assert handler.__bolt_middleware__ == [{"type": "rate_limit", "rps": 10, "burst": 20, "key": "ip"}]

    @rate_limit(rps=5, burst=7, key="user")
    def other():
        pass

    assert other.__bolt_middleware__ == [{"type": "rate_limit", "rps": 5, "burst": 7, "key": "user"}]


def test_rate_limit_defaults():
    @rate_limit()
    def handler():
        pass

    assert handler.__bolt_middleware__ == [{"type": "rate_limit", "rps": 100, "burst": 200, "key": "ip"}]


def test_cors_entry_omits_unset_options():
    with override_settings(CORS_ALLOWED_ORIGINS=["https://a.example"]):

        @cors()
        def handler():
            pass

    assert handler.__bolt_middleware__ == [{"type": "cors", "credentials": False, "max_age": 3600}]


def test_cors_full_entry_and_single_origin_string():
    @cors(
        origins="https://a.example",
        methods=["GET"],
        headers=["content-type"],
        credentials=True,
        max_age=60,
        expose_headers=["x-total"],
    )
    def handler():
        pass

    assert handler.__bolt_middleware__ == [
        {
            "type": "cors",
            "origins": ["https://a.example"],
            "methods": ["GET"],
            "headers": ["content-type"],
            "credentials": True,
            "max_age": 60,
            "expose_headers": ["x-total"],
        }
    ]


def test_entries_follow_application_order():
    @rate_limit(rps=1)
    @cors(origins=["https://a.example"])
    def handler():
        pass

    assert [entry["type"] for entry in handler.__bolt_middleware__] == ["cors", "rate_limit"]


def test_decorators_return_the_function_itself():
    def handler():
        pass

    assert rate_limit()(handler) is handler
    assert cors(origins="https://a.example")(handler) is handler
    assert skip_middleware("cors")(handler) is handler
    assert no_compress(handler) is handler
    assert middleware(Timing)(handler) is handler


def test_skip_middleware_and_no_compress_accumulate():
    @no_compress
    @skip_middleware("cors", "rate_limit")
    def handler():
        pass

    assert handler.__bolt_skip_middleware__ == {"cors", "rate_limit", "compression"}


def test_middleware_positional_and_keyword_entries():
    timing = Timing()
    config = MiddlewareConfig(RateLimitMiddleware(rps=3))
    native = CORSMiddleware(origins=["https://a.example"])

    @middleware(timing, Timing, config, native, {"type": "rate_limit", "rps": 9}, type="cors", origins=["*"])
    def handler():
        pass

    assert handler.__bolt_middleware__ == [
        timing,
        Timing,
        config,
        native,
        {"type": "rate_limit", "rps": 9},
        {"type": "cors", "origins": ["*"]},
    ]


def test_middleware_flattens_groups():
    first, second = Timing(), Timing()

    @middleware(MiddlewareGroup(first, second))
    def handler():
        pass

    assert handler.__bolt_middleware__ == [first, second]


def test_middleware_bare_adds_nothing():
    @middleware
    def handler():
        pass

    assert handler.__bolt_middleware__ == []


def test_middleware_after_other_decorators_keeps_order():
    timing = Timing()

    @middleware(timing)
    @rate_limit(rps=2)
    def handler():
        pass

    assert handler.__bolt_middleware__ == [{"type": "rate_limit", "rps": 2, "burst": 4, "key": "ip"}, timing]


def test_middleware_rejects_other_objects():
    with pytest.raises(TypeError, match=r"@middleware\(\.\.\.\) takes"):
        middleware("cors")
    with pytest.raises(TypeError, match=r"@middleware\(\.\.\.\) takes"):
        middleware(Timing(), 42)
