"""compile_route_security: merging, validation and the native/Python split."""

import msgspec
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    BasePermission,
    HasPermission,
    InMemoryRevocation,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
)
from django_bolt.compression import CompressionConfig
from django_bolt.middleware import (
    CORSMiddleware,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    RateLimitMiddleware,
    RouteSecurity,
    compile_middleware_meta,
    compile_route_security,
    cors,
    global_security_config,
    middleware,
    no_compress,
    rate_limit,
    skip_middleware,
)


@pytest.fixture
def without_settings():
    """Remove settings for one test, whatever configured them."""
    with override_settings():

        def remove(*names):
            for name in names:
                if hasattr(settings, name):
                    delattr(settings, name)

        yield remove


class Timing(Middleware):
    async def process_request(self, request, call_next):
        return await call_next(request)


class Audit(Middleware):
    async def process_request(self, request, call_next):
        return await call_next(request)


class IsOwner(BasePermission):
    guard_name = "is_owner"

    async def has_permission(self, request):
        return True


def handler():
    pass


def compile_(fn=handler, method="GET", path="/items", **kwargs):
    return compile_route_security(fn, method, path, **kwargs)


def test_nothing_configured():
    security = compile_()
    assert security == RouteSecurity(native=None, python_guards=(), python_middleware=(), revocation_handlers=())


def test_entry_order_global_then_config_then_decorators():
    @rate_limit(rps=1)
    @cors(origins=["https://route.example"])
    def fn():
        pass

    security = compile_(
        fn,
        middleware=[RateLimitMiddleware(rps=50)],
        middleware_config={"cors": {"origins": ["https://global.example"]}},
    )
    assert security.native == {
        "middleware": [
            {"type": "rate_limit", "rps": 50, "burst": 100, "key": "ip"},
            {"type": "cors", "origins": ["https://global.example"]},
            {"type": "cors", "origins": ["https://route.example"], "credentials": False, "max_age": 3600},
            {"type": "rate_limit", "rps": 1, "burst": 2, "key": "ip"},
        ]
    }


def test_skip_removes_global_entries_of_that_type_only():
    @skip_middleware("cors")
    @cors(origins=["https://route.example"])
    def fn():
        pass

    security = compile_(
        fn,
        middleware=[CORSMiddleware(origins=["https://global.example"]), RateLimitMiddleware(rps=5)],
        middleware_config={"cors": {"origins": ["https://config.example"]}},
    )
    assert security.native["middleware"] == [
        {"type": "rate_limit", "rps": 5, "burst": 10, "key": "ip"},
        {"type": "cors", "origins": ["https://route.example"], "credentials": False, "max_age": 3600},
    ]
    assert security.native["skip"] == ["cors"]


def test_no_compress_is_sent_as_skip():
    @no_compress
    def fn():
        pass

    assert compile_(fn).native == {"skip": ["compression"]}


def test_skip_of_python_middleware_by_class_name():
    @skip_middleware("Timing")
    def fn():
        pass

    audit = Audit()
    security = compile_(fn, middleware=[Timing(), audit])
    assert security.python_middleware == (audit,)
    assert security.native is None


def test_unknown_skip_name_is_an_error():
    @skip_middleware("cros")
    def fn():
        pass

    with pytest.raises(ValueError, match=r"route GET /items \(handler .*fn\).*'cros'.*'cors'"):
        compile_(fn)


def test_python_middleware_order_and_instantiation():
    route_mw = Audit()

    @middleware(route_mw)
    def fn():
        pass

    first = Timing()
    security = compile_(fn, middleware=[first, MiddlewareGroup(Audit)])
    assert security.python_middleware[0] is first
    assert isinstance(security.python_middleware[1], Audit)
    assert security.python_middleware[2] is route_mw
    assert security.native is None


def test_python_middleware_must_be_async():
    class SyncMiddleware(Middleware):
        def process_request(self, request, call_next):
            return call_next(request)

    with pytest.raises(TypeError, match="SyncMiddleware.process_request must be 'async def'"):
        compile_(middleware=[SyncMiddleware()])


def test_middleware_class_needing_arguments():
    class NeedsArgs(Middleware):
        def __init__(self, level):
            self.level = level

        async def process_request(self, request, call_next):
            return await call_next(request)

    with pytest.raises(TypeError, match="NeedsArgs.*pass an instance"):
        compile_(middleware=[NeedsArgs])


def test_middleware_config_route_selection_uses_the_path():
    timing = Timing()
    only_items = MiddlewareConfig(RateLimitMiddleware(rps=2), only_routes={"/items"})
    not_items = MiddlewareConfig(timing, skip_routes={"/items"})
    security = compile_(middleware=[only_items, not_items])
    assert security.native == {"middleware": [{"type": "rate_limit", "rps": 2, "burst": 4, "key": "ip"}]}
    assert security.python_middleware == ()
    other = compile_(path="/other", middleware=[only_items, not_items])
    assert other.native is None
    assert other.python_middleware == (timing,)


def test_middleware_config_options_are_merged():
    config = MiddlewareConfig({"type": "rate_limit", "rps": 3}, config={"key": "user"})
    assert compile_(middleware=[config]).native["middleware"] == [{"type": "rate_limit", "rps": 3, "key": "user"}]


def test_middleware_config_options_on_python_middleware_are_refused():
    with pytest.raises(ValueError, match="constructor"):
        compile_(middleware=[MiddlewareConfig(Timing(), config={"level": 1})])


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"type": "gzip"}, r"unknown middleware type 'gzip'.*'cors', 'rate_limit'"),
        ({"rps": 5}, "has no 'type'"),
        ({"type": "rate_limit", "rps": 0}, "rate_limit option 'rps' must be a whole number"),
        ({"type": "rate_limit", "rps": 1.5}, "rate_limit option 'rps' must be a whole number"),
        ({"type": "rate_limit", "rps": 10, "burst": 0}, "option 'burst' must be a whole number >= 1"),
        ({"type": "rate_limit", "burst": 3}, "rate_limit needs 'rps'"),
        ({"type": "rate_limit", "rps": 1, "key": ""}, "option 'key'"),
        ({"type": "rate_limit", "rps": 1, "per": "minute"}, "unknown rate_limit option 'per'; the options are rps"),
        ({"type": "cors", "origins": "https://a.example"}, r"option 'origins' must be a list of origins"),
        ({"type": "cors", "credentials": "yes"}, "option 'credentials' must be True or False"),
        ({"type": "cors", "max_age": -1}, "option 'max_age'"),
        ({"type": "cors", "origin": ["*"]}, "unknown cors option 'origin'"),
        (
            {"type": "cors", "origins": ["*"], "credentials": True},
            r"list the allowed origins instead of '\*' when credentials=True",
        ),
    ],
)
def test_invalid_entries_name_the_route_and_the_fix(entry, message):
    @middleware(entry)
    def fn():
        pass

    with pytest.raises(ValueError, match=message) as info:
        compile_(fn, method="POST", path="/orders")
    assert "route POST /orders" in str(info.value)


def test_cors_middleware_with_credentials_needs_explicit_origins():
    with pytest.raises(ValueError, match="instead of '\\*'"):
        compile_(middleware=[CORSMiddleware(credentials=True)])
    ok = compile_(middleware=[CORSMiddleware(origins=["https://a.example"], credentials=True)])
    assert ok.native["middleware"][0]["credentials"] is True


def test_rate_limit_decorator_values_are_validated():
    @rate_limit(rps=-1)
    def fn():
        pass

    with pytest.raises(ValueError, match="'rps'"):
        compile_(fn)


def test_middleware_config_validation():
    with pytest.raises(ValueError, match=r"middleware_config\['cors'\] must be a dict"):
        compile_(middleware_config={"cors": ["*"]})
    with pytest.raises(TypeError, match="middleware_config takes a dict"):
        compile_(middleware_config=[("cors", {})])
    with pytest.raises(ValueError, match="unknown middleware type 'compress'"):
        compile_(middleware_config={"compress": {}})


def test_bad_global_middleware_object():
    with pytest.raises(TypeError, match="route GET /items.*got 'cors'"):
        compile_(middleware=["cors"])


def test_auth_and_guards_metadata():
    jwt = JWTAuthentication(secret="k")
    keys = APIKeyAuthentication(api_keys=["a"])
    security = compile_(auth=[jwt, keys], guards=[IsAuthenticated, HasPermission("x")])
    assert security.native == {
        "auth_backends": [jwt.to_metadata(), keys.to_metadata()],
        "guards": [{"type": "is_authenticated"}, {"type": "has_permission", "permission": "x"}],
    }
    assert security.python_guards == ()


def test_allow_any_adds_no_rule_and_ends_the_guard_list():
    assert compile_(guards=[AllowAny()]).native is None
    # AllowAny allows at once: the guards after it never run.
    assert compile_(guards=[AllowAny, IsStaff()]).native is None
    assert compile_(guards=[IsStaff(), AllowAny()]).native == {"guards": [{"type": "is_staff"}]}


def test_custom_guards_run_in_python_after_native_ones():
    owner = IsOwner()
    security = compile_(guards=[owner, IsAuthenticated()])
    assert security.native == {"guards": [{"type": "is_authenticated"}]}
    assert security.python_guards == (owner,)
    assert isinstance(compile_(guards=[IsOwner]).python_guards[0], IsOwner)


def test_custom_guard_without_a_rule_is_refused():
    class Forgetful(BasePermission):
        guard_name = "forgetful"

    with pytest.raises(TypeError, match="Forgetful must define has_permission"):
        compile_(guards=[Forgetful()])


@pytest.mark.parametrize("guards", [["is_authenticated"], [IsAuthenticated().to_metadata()], [object]])
def test_invalid_guards_name_the_route(guards):
    with pytest.raises(TypeError, match=r"route GET /items \(handler handler\): guards= takes BasePermission"):
        compile_(guards=guards)


def test_guards_must_be_a_list():
    with pytest.raises(TypeError, match=r"guards=\[IsAuthenticated\(\)\]"):
        compile_(guards=IsAuthenticated())


def test_invalid_auth_names_the_route():
    with pytest.raises(TypeError, match="route GET /items.*auth= takes authentication backends"):
        compile_(auth=["jwt"])
    with pytest.raises(TypeError, match="auth= takes a list"):
        compile_(auth=JWTAuthentication(secret="k"))


def test_defaults_come_from_settings_and_empty_lists_mean_none():
    backend = APIKeyAuthentication(api_keys=["a"])
    with override_settings(BOLT_AUTHENTICATION_CLASSES=[backend], BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated]):
        defaulted = compile_()
        assert defaulted.native == {"auth_backends": [backend.to_metadata()], "guards": [{"type": "is_authenticated"}]}
        assert compile_(auth=[], guards=[]).native is None


def test_revocation_handlers_of_jwt_backends():
    revocable = JWTAuthentication(secret="k", revocation_store=InMemoryRevocation())
    plain = JWTAuthentication(secret="k")
    security = compile_(auth=[plain, revocable])
    assert security.revocation_handlers == (revocable.revoked_token_handler,)
    assert compile_(auth=[plain]).revocation_handlers == ()


def test_native_part_encodes_as_msgpack():
    @rate_limit(rps=5)
    @no_compress
    def fn():
        pass

    security = compile_(
        fn,
        middleware=[CORSMiddleware(origins=["https://a.example"])],
        auth=[JWTAuthentication(secret="k", revocation_store=InMemoryRevocation())],
        guards=[HasPermission("p"), IsOwner()],
    )
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(security.native)) == security.native


def test_compile_middleware_meta_shape():
    @cors(origins=["https://a.example"])
    @skip_middleware("rate_limit")
    def fn():
        pass

    meta = compile_middleware_meta(fn, "GET", "/x", [RateLimitMiddleware()], None, guards=[IsAuthenticated()], auth=[])
    assert meta == {
        "method": "GET",
        "path": "/x",
        "middleware": [{"type": "cors", "origins": ["https://a.example"], "credentials": False, "max_age": 3600}],
        "skip": ["rate_limit"],
        "guards": [{"type": "is_authenticated"}],
    }
    assert compile_middleware_meta(handler, "GET", "/x", None, None) is None


def test_global_security_config_defaults(without_settings):
    without_settings("BOLT_CORS_ALLOWED_ORIGINS", "BOLT_TRUSTED_PROXIES", "BOLT_RATE_LIMIT_BACKEND", "BOLT_COMPRESSION")
    assert global_security_config() == {
        "cors_allowed_origins": [],
        "cors": None,
        "trusted_proxies": [],
        "rate_limit_backend": "",
        "compression": CompressionConfig().to_config(),
    }
    assert global_security_config(False)["compression"] is None


def test_global_security_config_values():
    with override_settings(
        BOLT_CORS_ALLOWED_ORIGINS=("https://a.example",),
        BOLT_TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1", "::1"],
        BOLT_RATE_LIMIT_BACKEND="memory",
        BOLT_COMPRESSION=CompressionConfig(backend="gzip"),
    ):
        config = global_security_config()
    assert config["cors_allowed_origins"] == ["https://a.example"]
    assert config["trusted_proxies"] == ["10.0.0.0/8", "127.0.0.1", "::1"]
    assert config["rate_limit_backend"] == "memory"
    assert config["compression"]["backend"] == "gzip"


@pytest.mark.parametrize(
    "name, value",
    [
        ("BOLT_CORS_ALLOWED_ORIGINS", "https://a.example"),
        ("BOLT_CORS_ALLOWED_ORIGINS", [1]),
        ("BOLT_TRUSTED_PROXIES", "10.0.0.1"),
        ("BOLT_TRUSTED_PROXIES", ["not-an-ip"]),
        ("BOLT_RATE_LIMIT_BACKEND", 5),
        ("BOLT_COMPRESSION", {"backend": "gzip"}),
    ],
)
def test_global_security_config_wrong_types_name_the_setting(name, value):
    with override_settings(**{name: value}):
        with pytest.raises(ImproperlyConfigured, match=name):
            global_security_config()
