"""Depends: sync and async dependencies, their own parameters, nesting, caching, compile-time checks."""

import asyncio
from typing import Annotated, Optional

import msgspec
import pytest

from django_bolt.binding import compile_binding
from django_bolt.exceptions import RequestValidationError
from django_bolt.params import Cookie, Depends, Header, Query
from django_bolt.request import Request


def make(method="GET", path="/", params=None, query=b"", headers=None, body=None, context=None):
    return Request(method, path, params, query, headers, body, context)


def run(plan, request):
    return asyncio.run(plan.abind(request))


class TestSync:
    def test_default_and_annotated_forms(self):
        def get_db():
            return "db"

        def handler(a=Depends(get_db), b: Annotated[str, Depends(get_db)] = None):
            return None

        plan = compile_binding(handler, "GET", "/")
        # Sync dependencies run in the worker pool, so binding awaits them.
        assert plan.needs_await is True
        assert run(plan, make()) == (("db", "db"), {})

    def test_dependency_params_follow_handler_rules(self):
        seen = {}

        def current_user(
            request,
            org_id: int,
            token: str = Header("authorization"),
            theme: str = Cookie(default="light"),
            page: int = 1,
        ):
            seen["request"] = request
            return {"org": org_id, "token": token, "theme": theme, "page": page}

        def handler(user: dict = Depends(current_user)):
            return user

        plan = compile_binding(handler, "GET", "/orgs/{org_id}")
        assert plan.needs == {"params", "query", "headers", "cookies", "body"}
        request = make(params={"org_id": "7"}, query=b"page=3", headers={"authorization": "t", "cookie": "theme=dark"})
        assert run(plan, request) == (({"org": 7, "token": "t", "theme": "dark", "page": 3},), {})
        assert seen["request"] is request

    def test_needs_are_merged(self):
        def by_header(x_token: str = Header()):
            return x_token

        def handler(item_id: int, token: str = Depends(by_header)):
            return None

        assert compile_binding(handler, "GET", "/{item_id}").needs == {"params", "headers"}

    def test_class_and_callable_object(self):
        class Pager:
            def __init__(self, page: int = 1, size: int = 10):
                self.page, self.size = page, size

        class Multiplier:
            def __call__(self, n: int = 2):
                return n * 10

        multiplier = Multiplier()

        def handler(pager: Pager = Depends(Pager), m: int = Depends(multiplier)):
            return None

        (pager, m), _ = run(compile_binding(handler, "GET", "/"), make(query=b"page=3&n=4"))
        assert (pager.page, pager.size, m) == (3, 10, 40)

    def test_body_in_dependency(self):
        class Item(msgspec.Struct):
            name: str

        def item_name(item: Item):
            return item.name

        def handler(name: str = Depends(item_name)):
            return name

        plan = compile_binding(handler, "POST", "/")
        assert plan.needs == {"body"}
        assert run(plan, make("POST", body=b'{"name": "n"}')) == (("n",), {})
        with pytest.raises(TypeError, match="cannot have body parameters"):
            compile_binding(handler, "GET", "/")


class TestAsync:
    def test_async_dependency(self):
        async def load(n: int = 1):
            await asyncio.sleep(0)
            return n + 1

        def handler(value: int = Depends(load), q: Optional[str] = None):
            return None

        plan = compile_binding(handler, "GET", "/")
        assert plan.needs_await is True
        assert run(plan, make(query=b"n=4&q=x")) == ((5, "x"), {})
        with pytest.raises(RuntimeError, match="abind"):
            plan.bind(make())

    def test_sync_dependency_runs_off_the_calling_thread(self):
        import threading

        def where():
            return threading.get_ident()

        def handler(ident=Depends(where)):
            return ident

        (ident,), _ = run(compile_binding(handler, "GET", "/"), make())
        assert ident != threading.get_ident()

    def test_async_callable_object(self):
        class Loader:
            async def __call__(self):
                return "loaded"

        def handler(value=Depends(Loader())):
            return value

        plan = compile_binding(handler, "GET", "/")
        assert plan.needs_await is True
        assert run(plan, make()) == (("loaded",), {})

    def test_sync_dependency_on_async_one_awaits(self):
        async def inner():
            return 2

        def outer(x: int = Depends(inner)):
            return x * 3

        def handler(y: int = Depends(outer)):
            return y

        plan = compile_binding(handler, "GET", "/")
        assert plan.needs_await is True
        assert run(plan, make()) == ((6,), {})


class TestNestingAndCache:
    def test_nested_and_cached_per_request(self):
        calls = []

        def settings():
            calls.append("settings")
            return {"debug": True}

        async def db(conf: dict = Depends(settings)):
            calls.append("db")
            return ("db", conf["debug"])

        def repo(conn=Depends(db), conf: dict = Depends(settings)):
            calls.append("repo")
            return (conn, conf)

        def handler(r=Depends(repo), conn=Depends(db), conf=Depends(settings)):
            return None

        plan = compile_binding(handler, "GET", "/")
        (r, conn, conf), _ = run(plan, make())
        assert conn == ("db", True) and r == (conn, conf)
        assert calls == ["settings", "db", "repo"]
        run(plan, make())
        # A fresh cache for each request.
        assert calls == ["settings", "db", "repo"] * 2

    def test_use_cache_false(self):
        counter = iter(range(100))

        def next_id():
            return next(counter)

        def handler(a=Depends(next_id), b=Depends(next_id, use_cache=False), c=Depends(next_id)):
            return None

        assert run(compile_binding(handler, "GET", "/"), make()) == ((0, 1, 0), {})

    def test_errors_in_dependencies_are_collected(self):
        def paging(page: int = Query(), size: int = 10):
            return (page, size)

        def auth(x_token: str = Header()):
            return x_token

        def handler(p=Depends(paging), token=Depends(auth), n: int = 0):
            return None

        plan = compile_binding(handler, "GET", "/")
        with pytest.raises(RequestValidationError) as info:
            run(plan, make(query=b"size=x&n=y"))
        assert [(e["loc"], e["type"]) for e in info.value.errors()] == [
            (["query", "page"], "missing"),
            (["query", "size"], "int_parsing"),
            (["header", "x-token"], "missing"),
            (["query", "n"], "int_parsing"),
        ]

    def test_dependency_exceptions_propagate(self):
        class Denied(Exception):
            pass

        def guard():
            raise Denied()

        def handler(ok=Depends(guard)):
            return None

        with pytest.raises(Denied):
            run(compile_binding(handler, "GET", "/"), make())

    def test_meta_records_dependency(self):
        def dep():
            return 1

        def handler(value: int = Depends(dep)):
            return value

        field = compile_binding(handler, "GET", "/").meta["fields"][0]
        assert (field["source"], field["dependency"], field["alias"]) == ("dependency", dep, None)


class TestCompileTimeErrors:
    def test_depends_without_callable(self):
        def handler(x=Depends()):
            return x

        with pytest.raises(TypeError, match="handler.*callable"):
            compile_binding(handler, "GET", "/")

    def test_non_callable(self):
        def handler(x=Depends(42)):
            return x

        with pytest.raises(TypeError, match="callable"):
            compile_binding(handler, "GET", "/")

    def test_cycle(self):
        def a(v=None):
            return v

        def b(w=Depends(a)):
            return w

        # Close the loop a -> b -> a after both exist.
        a.__defaults__ = (Depends(b),)

        def handler(value=Depends(a)):
            return value

        with pytest.raises(TypeError, match="dependency cycle: .*a -> .*b -> .*a"):
            compile_binding(handler, "GET", "/")

    def test_self_dependency(self):
        def loop(v=None):
            return v

        loop.__defaults__ = (Depends(loop),)

        with pytest.raises(TypeError, match="cycle"):
            compile_binding(loop, "GET", "/")

    def test_generator_dependency(self):
        def session():
            yield 1

        def handler(s=Depends(session)):
            return s

        with pytest.raises(TypeError, match="generator"):
            compile_binding(handler, "GET", "/")

    def test_errors_inside_dependency_signature(self):
        def broken(*args):
            return args

        def handler(x=Depends(broken)):
            return x

        with pytest.raises(TypeError, match="broken"):
            compile_binding(handler, "GET", "/")
