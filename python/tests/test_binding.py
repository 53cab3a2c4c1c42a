"""compile_binding: classification, lookup, coercion, errors, bodies and the plan interface."""

import asyncio
import dataclasses
import datetime
import enum
import inspect
import uuid
from decimal import Decimal
from typing import Annotated, Any, List, Literal, Optional, Sequence

import msgspec
import pytest

from django_bolt.binding import (
    BindingPlan,
    compile_binding,
    convert_primitive,
    msgspec_validation_error_to_dict,
)
from django_bolt.exceptions import RequestValidationError
from django_bolt.params import Body, Cookie, Form, Header, Path, Query
from django_bolt.request import Request


def make(method="GET", path="/", params=None, query=b"", headers=None, body=None, context=None):
    return Request(method, path, params, query, headers, body, context)


def bind(fn, query=b"", *, method="GET", route="/", params=None, headers=None, body=None):
    plan = compile_binding(fn, method, route)
    return plan.bind(make(method, route, params, query, headers, body))


def errors_of(fn, query=b"", **kwargs):
    with pytest.raises(RequestValidationError) as info:
        bind(fn, query, **kwargs)
    return info.value.errors()


def sources(fn, method="POST", route="/"):
    return {f["name"]: f["source"] for f in compile_binding(fn, method, route).meta["fields"]}


class Item(msgspec.Struct):
    name: str
    price: float


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class TestClassification:
    def test_default_rules(self):
        def handler(
            item_id: int,
            request,
            q: str,
            n: Optional[int],
            tags: list[str],
            item: Item,
            filters: dict,
            anything,
        ):
            return None

        assert sources(handler, route="/items/{item_id}") == {
            "item_id": "path",
            "request": "request",
            "q": "query",
            "n": "query",
            "tags": "query",
            "item": "body",
            "filters": "query",
            "anything": "query",
        }

    @pytest.mark.parametrize("route", ["/f/{name}", "/f/{name:path}", "/f/{name:int}", "/f/{ name }"])
    def test_path_param_forms(self, route):
        def handler(name: str):
            return name

        assert sources(handler, route=route) == {"name": "path"}

    def test_path_wins_over_request_name(self):
        def handler(request: str):
            return request

        assert sources(handler, route="/{request}") == {"request": "path"}

    def test_req_and_annotated_request(self):
        def handler(req: int, other: Request):
            return None

        assert sources(handler) == {"req": "request", "other": "request"}

    @pytest.mark.parametrize(
        "annotation",
        [str, int, float, bool, bytes, Any, Decimal, uuid.UUID, datetime.date, datetime.datetime, datetime.time],
    )
    def test_scalars_are_query(self, annotation):
        def handler(value: annotation):
            return value

        assert sources(handler) == {"value": "query"}

    @pytest.mark.parametrize(
        "annotation", [list[int], List[str], tuple[int, ...], set[str], frozenset[int], Sequence[str], list, list[Item]]
    )
    def test_sequences_are_query(self, annotation):
        def handler(value: annotation):
            return value

        assert sources(handler) == {"value": "query"}

    @pytest.mark.parametrize("annotation", [Item, Point, Optional[Item], Item | None, Annotated[Point, "meta"]])
    def test_structs_and_dataclasses_are_body(self, annotation):
        def handler(value: annotation):
            return value

        assert sources(handler) == {"value": "body"}

    def test_markers_override(self):
        def handler(
            item_id: Annotated[int, Query()],
            item: Annotated[Item, Query()],
            payload: dict = Body(),
            token: str = Header(),
            session: str = Cookie(),
        ):
            return None

        def form(item: Annotated[Item, Form()]):
            return None

        assert sources(handler, route="/{item_id}") == {
            "item_id": "query",
            "item": "query",
            "payload": "body",
            "token": "header",
            "session": "cookie",
        }
        assert sources(form) == {"item": "form"}

    def test_marker_inside_optional(self):
        def handler(a: Annotated[int, Query("x")] | None = None, b: Optional[Annotated[str, Header()]] = None):
            return None

        assert sources(handler) == {"a": "query", "b": "header"}
        assert bind(handler, b"x=3", headers={"b": "h"}) == ((3, "h"), {})

    def test_first_marker_in_annotated_wins(self):
        def handler(x: Annotated[int, "doc", Header(), Query()]):
            return x

        assert sources(handler) == {"x": "header"}

    def test_string_annotations_are_resolved(self):
        namespace = {}
        exec(
            "from __future__ import annotations\n"
            "from typing import Optional\n"
            "def handler(n: int, m: Optional[int] = None):\n"
            "    return n\n",
            namespace,
        )
        assert bind(namespace["handler"], b"n=3") == ((3, None), {})


class TestLookup:
    def test_path(self):
        def handler(item_id: int, slug: str):
            return None

        assert bind(handler, route="/i/{item_id}/{slug}", params={"item_id": "12", "slug": "a-b"}) == ((12, "a-b"), {})

    def test_path_alias(self):
        def handler(identifier: Annotated[int, Path("id")]):
            return identifier

        assert bind(handler, route="/i/{id}", params={"id": "4"}) == ((4,), {})

    def test_path_marker_must_match_route(self):
        def handler(identifier: Annotated[int, Path()]):
            return identifier

        with pytest.raises(TypeError, match="identifier"):
            compile_binding(handler, "GET", "/i/{id}")

    def test_query_alias_positional(self):
        def handler(search: str = Query("q")):
            return search

        assert bind(handler, b"q=x&search=y") == (("x",), {})

    def test_query_names_are_case_sensitive(self):
        def handler(q: Optional[str] = None):
            return q

        assert bind(handler, b"Q=x") == ((None,), {})

    def test_header_underscore_rule(self):
        def handler(x_custom: str = Header(), user_agent: Annotated[str, Header()] = "none"):
            return None

        assert bind(handler, headers={"x-custom": "1", "user-agent": "ua"}) == (("1", "ua"), {})
        assert errors_of(handler, headers={"x_custom": "1"}) == [
            {"loc": ["header", "x-custom"], "msg": "Field required", "type": "missing"}
        ]

    def test_header_alias_is_lowercased(self):
        def handler(key: str = Header("X-API-Key")):
            return key

        assert bind(handler, headers={"x-api-key": "secret"}) == (("secret",), {})

    def test_cookie(self):
        def handler(session: str = Cookie(), theme: Annotated[str, Cookie("ui-theme")] = "light"):
            return None

        assert bind(handler, headers={"cookie": "session=abc; ui-theme=dark"}) == (("abc", "dark"), {})
        assert bind(handler, headers={"cookie": "session=abc"}) == (("abc", "light"), {})
        assert errors_of(handler, headers={"cookie": "Session=abc"})[0]["loc"] == ["cookie", "session"]

    def test_request_param(self):
        def handler(request, n: int = 0):
            return None

        request = make(query=b"n=2")
        args, kwargs = compile_binding(handler, "GET", "/").bind(request)
        assert args[0] is request and args[1] == 2


class TestCoercion:
    @pytest.mark.parametrize(
        "annotation, text, expected",
        [
            (int, "42", 42),
            (int, "-7", -7),
            (int, " 5 ", 5),
            (float, "1.5", 1.5),
            (float, "1e3", 1000.0),
            (str, "text", "text"),
            (Any, "text", "text"),
            (bytes, "é", "é".encode()),
            (Decimal, "1.10", Decimal("1.10")),
            (uuid.UUID, "12345678-1234-5678-1234-567812345678", uuid.UUID("12345678-1234-5678-1234-567812345678")),
            (datetime.date, "2024-02-29", datetime.date(2024, 2, 29)),
            (datetime.datetime, "2024-01-02T03:04:05", datetime.datetime(2024, 1, 2, 3, 4, 5)),
            (datetime.time, "10:30", datetime.time(10, 30)),
            (Literal["a", "b"], "b", "b"),
            (Literal[1, 2], "2", 2),
            (Color, "red", Color.RED),
            (Level, "2", Level.HIGH),
            (dict, '{"a": 1}', {"a": 1}),
            (dict[str, int], '{"a": 1}', {"a": 1}),
            (Item, '{"name": "n", "price": 2}', Item("n", 2.0)),
            (Optional[int], "3", 3),
        ],
    )
    def test_values(self, annotation, text, expected):
        def handler(v: annotation = Query()):
            return v

        assert bind(handler, b"v=" + text.encode()) == ((expected,), {})
        assert convert_primitive(text, annotation) == expected

    @pytest.mark.parametrize("text", ["1", "true", "TRUE", "t", "yes", "Y", "on"])
    def test_bool_true(self, text):
        assert convert_primitive(text, bool) is True

    @pytest.mark.parametrize("text", ["0", "false", "False", "f", "no", "N", "off"])
    def test_bool_false(self, text):
        assert convert_primitive(text, bool) is False

    @pytest.mark.parametrize(
        "annotation, text, error_type",
        [
            (int, "abc", "int_parsing"),
            (int, "1.5", "int_parsing"),
            (int, "", "int_parsing"),
            (float, "x", "float_parsing"),
            (bool, "maybe", "bool_parsing"),
            (bool, "", "bool_parsing"),
            (Decimal, "1.2.3", "decimal_parsing"),
            (uuid.UUID, "nope", "uuid_parsing"),
            (datetime.date, "2024-13-01", "date_parsing"),
            (datetime.datetime, "yesterday", "datetime_parsing"),
            (datetime.time, "25:00", "time_parsing"),
            (Literal["a", "b"], "c", "literal_error"),
            (Color, "green", "enum"),
            (dict, "not json", "value_error"),
            (Item, '{"name": "n"}', "value_error"),
        ],
    )
    def test_failures(self, annotation, text, error_type):
        def handler(v: annotation = Query()):
            return v

        errors = errors_of(handler, b"v=" + text.encode())
        assert len(errors) == 1
        assert errors[0]["loc"] == ["query", "v"]
        assert errors[0]["type"] == error_type
        assert isinstance(errors[0]["msg"], str) and errors[0]["msg"]
        with pytest.raises(ValueError):
            convert_primitive(text, annotation)

    def test_literal_message(self):
        def handler(v: Literal["a", "b"]):
            return v

        assert errors_of(handler, b"v=c")[0]["msg"] == "Input should be 'a' or 'b'"

    def test_unsupported_type_fails_at_compile_time(self):
        class Opaque:
            pass

        def handler(v: Opaque):
            return v

        with pytest.raises(TypeError, match="handler, parameter 'v'"):
            compile_binding(handler, "GET", "/")


class TestOptionalAndDefaults:
    def test_optional_without_default_is_none(self):
        def handler(a: Optional[int], b: int | None, c: str = "dflt", d: Annotated[int, Query()] = 4):
            return None

        assert bind(handler) == ((None, None, "dflt", 4), {})
        assert bind(handler, b"a=1&b=2&c=x&d=5") == ((1, 2, "x", 5), {})

    def test_marker_as_default_is_required(self):
        def handler(q: int = Query()):
            return q

        assert errors_of(handler) == [{"loc": ["query", "q"], "msg": "Field required", "type": "missing"}]

    def test_marker_default_keyword(self):
        def handler(q: int = Query(default=9), r: Optional[str] = Query(default=None)):
            return q

        assert bind(handler) == ((9, None), {})

    def test_the_marker_is_never_the_value(self):
        def handler(q: Optional[str] = Query("search")):
            return q

        assert bind(handler) == ((None,), {})

    def test_default_in_two_places(self):
        def handler(q: Annotated[int, Query(default=1)] = 2):
            return q

        with pytest.raises(TypeError, match="default"):
            compile_binding(handler, "GET", "/")

    def test_two_markers(self):
        def handler(q: Annotated[int, Query()] = Header()):
            return q

        with pytest.raises(TypeError, match="two markers"):
            compile_binding(handler, "GET", "/")

    def test_present_but_empty_is_not_missing(self):
        def handler(q: Optional[int] = None, s: str = "x"):
            return q

        assert errors_of(handler, b"q=")[0]["type"] == "int_parsing"
        assert bind(handler, b"s=") == ((None, ""), {})


class TestLists:
    def test_repeated_keys(self):
        def handler(tag: list[str], n: tuple[int, ...] = (), s: set[int] = frozenset(), seq: Sequence[float] = ()):
            return None

        args, _ = bind(handler, b"tag=a&tag=b+c&n=1&n=2&s=3&s=3&seq=1.5")
        assert args == (["a", "b c"], (1, 2), {3}, [1.5])

    def test_list_required_and_optional(self):
        def handler(tag: list[int], extra: Optional[list[int]] = None):
            return None

        assert errors_of(handler) == [{"loc": ["query", "tag"], "msg": "Field required", "type": "missing"}]
        assert bind(handler, b"tag=1") == (([1], None), {})

    def test_item_errors(self):
        def handler(n: list[int] = Query("id")):
            return n

        assert errors_of(handler, b"id=1&id=x")[0] == {
            "loc": ["query", "id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "type": "int_parsing",
        }

    def test_scalar_takes_last_value(self):
        def handler(n: int):
            return n

        assert bind(handler, b"n=1&n=2") == ((2,), {})

    def test_header_list_holds_the_single_value(self):
        def handler(accept: list[str] = Header()):
            return accept

        assert bind(handler, headers={"accept": "a, b"}) == ((["a, b"],), {})


class TestErrors:
    def test_all_errors_are_collected(self):
        def handler(item_id: int, page: int, token: str = Header(), flag: bool = Cookie()):
            return None

        errors = errors_of(
            handler, b"page=x", route="/{item_id}", params={"item_id": "y"}, headers={"cookie": "flag=2"}
        )
        assert errors == [
            {
                "loc": ["path", "item_id"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            },
            {
                "loc": ["query", "page"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "type": "int_parsing",
            },
            {"loc": ["header", "token"], "msg": "Field required", "type": "missing"},
            {
                "loc": ["cookie", "flag"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "type": "bool_parsing",
            },
        ]

    def test_msgspec_meta_constraints_apply_to_text_parameters(self):
        # Annotated[int, msgspec.Meta(...)] is how msgspec users write a bound; it must
        # not be dropped for parameters read from text (it was: any value passed).
        def handler(
            item_id: Annotated[int, msgspec.Meta(ge=1)],
            ms: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 100,
            code: Annotated[str, msgspec.Meta(pattern="^[a-z]+$", max_length=4)] | None = None,
            token: Annotated[str, Header(), msgspec.Meta(min_length=3)] = "abc",
        ):
            return item_id, ms, code, token

        args, _ = bind(handler, b"ms=5&code=ab", route="/{item_id}", params={"item_id": "2"})
        assert args == (2, 5, "ab", "abc")
        errors = errors_of(handler, b"ms=99999&code=ABCDEF", route="/{item_id}", params={"item_id": "0"},
                           headers={"token": "x"})
        assert [(e["loc"], e["type"]) for e in errors] == [
            (["path", "item_id"], "greater_than_equal"),
            (["query", "ms"], "less_than_equal"),
            (["query", "code"], "string_pattern_mismatch"),
            (["header", "token"], "string_too_short"),
        ]

    def test_marker_constraints_win_over_msgspec_meta(self):
        def handler(n: Annotated[int, Query(le=5), msgspec.Meta(ge=1, le=50)]):
            return n

        assert [e["type"] for e in errors_of(handler, b"n=6")] == ["less_than_equal"]
        assert [e["type"] for e in errors_of(handler, b"n=0")] == ["greater_than_equal"]

    def test_error_is_a_request_validation_error_with_422_semantics(self):
        def handler(n: int):
            return n

        with pytest.raises(RequestValidationError) as info:
            bind(handler, b"n=x")
        assert isinstance(info.value.errors(), list)


class TestBody:
    def test_struct(self):
        def handler(item: Item):
            return item

        assert bind(handler, method="POST", body=b'{"name": "pen", "price": 1.5}') == ((Item("pen", 1.5),), {})

    def test_dataclass(self):
        def handler(point: Point):
            return point

        assert bind(handler, method="PUT", body=b'{"x": 1, "y": 2}') == ((Point(1, 2),), {})

    @pytest.mark.parametrize(
        "annotation, body, expected",
        [
            (dict, b'{"a": [1]}', {"a": [1]}),
            (list[int], b"[1, 2]", [1, 2]),
            (list[Item], b'[{"name": "a", "price": 1}]', [Item("a", 1.0)]),
        ],
    )
    def test_explicit_body_on_other_types(self, annotation, body, expected):
        def handler(data: Annotated[annotation, Body()]):
            return data

        assert bind(handler, method="PATCH", body=body) == ((expected,), {})

    @pytest.mark.parametrize("annotation", [Any, dict, list, dict[str, Any]])
    def test_json_nested_too_deeply_is_json_invalid(self, annotation):
        def handler(data: Annotated[annotation, Body()]):
            return data

        # Deeper than the recursion limit of every supported Python (3.13's is far above
        # 3.11's 1,000).
        deep = b"[" * 100_000 + b"]" * 100_000
        body = deep if annotation in (Any, list) else b'{"a": ' + deep + b"}"
        errors = errors_of(handler, method="POST", body=body)
        assert [(e["type"], e["loc"], e["msg"]) for e in errors] == [
            ("json_invalid", ["body"], "JSON is malformed: nested too deeply")]

    def test_query_json_nested_too_deeply_is_a_value_error(self):
        def handler(filters: dict):
            return filters

        errors = errors_of(handler, b"filters=%7B%22a%22%3A" + b"%5B" * 100_000 + b"%5D" * 100_000 + b"%7D")
        assert [(e["type"], e["loc"]) for e in errors] == [("value_error", ["query", "filters"])]
        assert "nested too deeply" in errors[0]["msg"]

    def test_body_with_query_and_path(self):
        def handler(item_id: int, item: Item, dry_run: bool = False):
            return None

        args, _ = bind(
            handler,
            b"dry_run=yes",
            method="PUT",
            route="/items/{item_id}",
            params={"item_id": "3"},
            body=b'{"name": "a", "price": 2}',
        )
        assert args == (3, Item("a", 2.0), True)

    @pytest.mark.parametrize("body", [b"", b"{", b"not json", b'{"name": "a",}'])
    def test_json_invalid(self, body):
        def handler(item: Item):
            return item

        errors = errors_of(handler, method="POST", body=body)
        assert len(errors) == 1
        error = errors[0]
        assert error["type"] == "json_invalid"
        assert error["loc"] == ["body"]
        assert error["input"] == body.decode()
        assert error["msg"]

    def test_json_invalid_input_is_truncated_and_decoded_leniently(self):
        def handler(item: Item):
            return item

        body = b"\xff" + "é".encode() * 300
        error = errors_of(handler, method="POST", body=body)[0]
        assert error["input"] == "\ufffd" + "é" * 99

    def test_validation_errors(self):
        class Address(msgspec.Struct):
            city: str

        class User(msgspec.Struct):
            name: str
            address: Address
            scores: list[int] = []

        def handler(user: User):
            return user

        assert errors_of(handler, method="POST", body=b'{"address": {"city": "x"}}') == [
            {"type": "missing_field", "loc": ["body", "name"], "msg": "Object missing required field `name`"}
        ]
        assert errors_of(handler, method="POST", body=b'{"name": "n", "address": {"city": 5}}') == [
            {"type": "validation_error", "loc": ["body", "address.city"], "msg": "Expected `str`, got `int`"}
        ]
        assert errors_of(
            handler, method="POST", body=b'{"name": "n", "address": {"city": "c"}, "scores": [1, "x"]}'
        ) == [{"type": "validation_error", "loc": ["body", "scores.1"], "msg": "Expected `int`, got `str`"}]
        assert errors_of(handler, method="POST", body=b"[]") == [
            {"type": "validation_error", "loc": ["body"], "msg": "Expected `object`, got `array`"}
        ]

    def test_body_errors_are_collected_with_others(self):
        def handler(item: Item, n: int):
            return None

        errors = errors_of(handler, b"n=x", method="POST", body=b"{")
        assert [e["type"] for e in errors] == ["json_invalid", "int_parsing"]

    def test_optional_body(self):
        def handler(item: Optional[Item] = None):
            return item

        assert bind(handler, method="POST") == ((None,), {})
        assert bind(handler, method="POST", body=b"null") == ((None,), {})
        assert bind(handler, method="POST", body=b'{"name": "a", "price": 1}') == ((Item("a", 1.0),), {})

    def test_embedded_body(self):
        def handler(item: Annotated[Item, Body(embed=True)], note: Annotated[str, Body("memo", embed=True)] = "-"):
            return None

        with pytest.raises(TypeError, match="only one body parameter"):
            compile_binding(handler, "POST", "/")

        def single(item: Annotated[Item, Body(embed=True)]):
            return item

        assert bind(single, method="POST", body=b'{"item": {"name": "a", "price": 1}}') == ((Item("a", 1.0),), {})
        assert errors_of(single, method="POST", body=b"{}") == [
            {"type": "missing_field", "loc": ["body", "item"], "msg": "Object missing required field `item`"}
        ]
        assert errors_of(single, method="POST", body=b'{"item": {"name": "a", "price": "x"}}')[0]["loc"] == [
            "body",
            "item.price",
        ]

    def test_embedded_body_default(self):
        def handler(limit: Annotated[int, Body(embed=True)] = 10):
            return limit

        assert bind(handler, method="POST", body=b"{}") == ((10,), {})
        assert bind(handler, method="POST", body=b'{"limit": 3}') == ((3,), {})


class TestValidationErrorMapping:
    def test_mapping(self):
        class Inner(msgspec.Struct):
            v: int

        def decode_error(doc, tp):
            with pytest.raises(msgspec.ValidationError) as info:
                msgspec.json.decode(doc, type=tp)
            return msgspec_validation_error_to_dict(info.value)

        assert decode_error(b'[{"v": 1}, {"v": "x"}]', list[Inner]) == [
            {"type": "validation_error", "loc": ["body", "1.v"], "msg": "Expected `int`, got `str`"}
        ]
        assert decode_error(b"{}", Inner) == [
            {"type": "missing_field", "loc": ["body", "v"], "msg": "Object missing required field `v`"}
        ]
        assert decode_error(b'"x"', int) == [
            {"type": "validation_error", "loc": ["body"], "msg": "Expected `int`, got `str`"}
        ]


class TestCompileTimeErrors:
    @pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE", "OPTIONS", "get"])
    def test_body_on_bodiless_method(self, method):
        def list_items(item: Item, q: str = ""):
            return None

        with pytest.raises(TypeError) as info:
            compile_binding(list_items, method, "/items")
        message = str(info.value)
        assert "list_items" in message
        assert f"{method.upper()} /items cannot have body parameters." in message
        assert "['item']" in message
        assert "Solutions:" in message
        assert "POST" in message and "PUT" in message and "PATCH" in message
        assert "Query()" in message and "simple types" in message

    def test_two_body_params(self):
        def create(first: Item, second: Point):
            return None

        with pytest.raises(TypeError) as info:
            compile_binding(create, "POST", "/")
        message = str(info.value)
        assert "create" in message and "'first'" in message and "'second'" in message

    def test_body_and_form(self):
        def create(item: Item, name: str = Form()):
            return None

        with pytest.raises(TypeError, match="form"):
            compile_binding(create, "POST", "/")

    @pytest.mark.parametrize("signature", ["*args", "**kwargs"])
    def test_variadics(self, signature):
        namespace = {}
        exec(f"def variadic(a: int, {signature}):\n    return a\n", namespace)
        with pytest.raises(TypeError, match="variadic"):
            compile_binding(namespace["variadic"], "GET", "/")

    def test_undecodable_body_type(self):
        class Opaque:
            pass

        def create(payload: Annotated[Opaque, Body()]):
            return None

        with pytest.raises(TypeError, match="create, parameter 'payload'"):
            compile_binding(create, "POST", "/")

    def test_unresolvable_annotation(self):
        def handler(x: "Missing"):  # noqa: F821
            return x

        with pytest.raises(TypeError, match="handler"):
            compile_binding(handler, "GET", "/")


class TestPlan:
    def test_positional_and_keyword_only(self):
        def handler(a: int, /, b: int, *, c: int, d: int = 4):
            return None

        plan = compile_binding(handler, "GET", "/")
        assert plan.bind(make(query=b"a=1&b=2&c=3")) == ((1, 2), {"c": 3, "d": 4})

    def test_needs(self):
        def nothing():
            return None

        def path_query(item_id: int, q: str = ""):
            return None

        def headers_cookies(token: str = Header(), s: str = Cookie()):
            return None

        def body(item: Item):
            return None

        def form(name: str = Form()):
            return None

        def whole(request, n: int = 0):
            return None

        everything = frozenset({"params", "query", "headers", "cookies", "body"})
        assert compile_binding(nothing, "GET", "/").needs == frozenset()
        assert compile_binding(path_query, "GET", "/{item_id}").needs == frozenset({"params", "query"})
        assert compile_binding(headers_cookies, "GET", "/").needs == frozenset({"headers", "cookies"})
        assert compile_binding(body, "POST", "/").needs == frozenset({"body"})
        assert compile_binding(form, "POST", "/").needs == frozenset({"body", "headers", "form"})
        assert compile_binding(whole, "GET", "/").needs == everything

    def test_needs_cover_everything_binding_reads(self):
        def handler(item_id: int, q: str, token: str = Header(), s: str = Cookie()):
            return None

        plan = compile_binding(handler, "GET", "/{item_id}")
        full = make(params={"item_id": "1"}, query=b"q=x", headers={"token": "t", "cookie": "s=1"})
        # Only what `needs` lists is given: the core may drop the rest.
        trimmed = Request(
            "GET",
            "/1",
            full.params if "params" in plan.needs else None,
            b"q=x" if "query" in plan.needs else None,
            {"token": "t", "cookie": "s=1"} if "headers" in plan.needs else {"cookie": "s=1"},
            None,
            None,
        )
        assert plan.bind(trimmed) == plan.bind(full) == ((1, "x", "t", "1"), {})

    def test_request_only(self):
        def only(request):
            return None

        def mixed(request, q: str = ""):
            return None

        plan = compile_binding(only, "GET", "/")
        assert plan.request_only is True and plan.meta["mode"] == "request_only"
        request = make()
        assert plan.bind(request) == ((request,), {})
        assert compile_binding(mixed, "GET", "/").request_only is False
        assert compile_binding(mixed, "GET", "/").meta["mode"] == "mixed"

    def test_abind_matches_bind(self):
        def handler(item_id: int, q: Optional[str] = None):
            return None

        plan = compile_binding(handler, "GET", "/items/{item_id}")
        request = make(params={"item_id": "5"}, query=b"q=x")
        assert plan.needs_await is False
        assert asyncio.run(plan.abind(request)) == plan.bind(request) == ((5, "x"), {})
        with pytest.raises(RequestValidationError):
            asyncio.run(plan.abind(make(params={"item_id": "z"})))

    def test_meta(self):
        def handler(
            item_id: int,
            item: Item,
            q: Annotated[Optional[str], Query("search", description="d")] = None,
            *,
            token: str = Header(),
        ):
            return None

        plan = compile_binding(handler, "PUT", "/items/{item_id}")
        assert isinstance(plan, BindingPlan)
        meta = plan.meta
        assert meta["sig"] == inspect.signature(handler)
        assert meta["path_params"] == {"item_id"}
        assert meta["http_method"] == "PUT"
        assert meta["mode"] == "mixed"
        assert meta["body_struct_param"] == "item"
        assert meta["body_struct_type"] is Item
        assert meta["needs_form_parsing"] is False
        by_name = {f["name"]: f for f in meta["fields"]}
        assert list(by_name) == ["item_id", "item", "q", "token"]
        q = by_name["q"]
        assert q["annotation"] == Optional[str]
        assert q["default"] is None
        assert q["source"] == "query"
        assert q["alias"] == "search"
        assert q["kind"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert q["embed"] is None and q["dependency"] is None
        assert q["marker"].description == "d"
        assert by_name["token"]["kind"] is inspect.Parameter.KEYWORD_ONLY
        assert by_name["token"]["default"] is inspect.Parameter.empty
        assert by_name["token"]["key"] == "token"
        for field in meta["fields"]:
            assert {"name", "annotation", "default", "kind", "source", "alias", "embed", "dependency"} <= set(field)

    def test_plan_is_reusable_across_requests(self):
        def handler(n: int):
            return n

        plan = compile_binding(handler, "GET", "/")
        assert [plan.bind(make(query=f"n={i}".encode()))[0][0] for i in range(3)] == [0, 1, 2]
