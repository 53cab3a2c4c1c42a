"""Markers (Query, Path, Header...) and the constraints they enforce."""

import dataclasses
from decimal import Decimal
from typing import Annotated

import pytest

from django_bolt import param_functions
from django_bolt.binding import compile_binding
from django_bolt.exceptions import RequestValidationError
from django_bolt.params import Body, Cookie, Depends, File, Form, Header, Param, Path, Query
from django_bolt.request import Request


def bind(fn, query=b"", *, method="GET", path="/", params=None, headers=None, body=None):
    plan = compile_binding(fn, method, path)
    return plan.bind(Request(method, path, params, query, headers, body, None))


def errors_of(fn, query=b"", **kwargs):
    with pytest.raises(RequestValidationError) as info:
        bind(fn, query, **kwargs)
    return info.value.errors()


class TestMarkers:
    @pytest.mark.parametrize(
        "factory, source",
        [
            (Query, "query"),
            (Path, "path"),
            (Body, "body"),
            (Header, "header"),
            (Cookie, "cookie"),
            (Form, "form"),
            (File, "file"),
        ],
    )
    def test_positional_string_is_the_name(self, factory, source):
        marker = factory("the-name")
        assert marker == Param(source, alias="the-name")
        assert marker.default is ...
        assert not marker.has_default

    def test_defaults_of_param(self):
        marker = Query()
        assert (marker.source, marker.alias, marker.embed, marker.deprecated) == ("query", None, None, False)
        for name in (
            "gt",
            "ge",
            "lt",
            "le",
            "multiple_of",
            "min_length",
            "max_length",
            "pattern",
            "description",
            "example",
        ):
            assert getattr(marker, name) is None

    def test_keyword_options(self):
        marker = Query(default=3, alias="page", ge=1, description="page number", deprecated=True)
        assert marker.default == 3 and marker.has_default
        assert (marker.alias, marker.ge, marker.description, marker.deprecated) == ("page", 1, "page number", True)

    def test_body_embed(self):
        assert Body("item", embed=True).embed is True

    def test_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            Query().alias = "x"

    def test_non_string_positional_is_rejected(self):
        with pytest.raises(TypeError, match="default="):
            Query(10)

    def test_two_different_names(self):
        with pytest.raises(TypeError):
            Header("x-a", alias="x-b")
        assert Header("x-a", alias="x-a").alias == "x-a"

    def test_path_default_rejected(self):
        with pytest.raises(ValueError, match="Path parameters cannot have default values"):
            Path(default=1)
        with pytest.raises(ValueError):
            Path(default=None)

    def test_depends(self):
        def dep():
            return 1

        assert Depends() == Depends(None, True)
        assert Depends(dep).dependency is dep
        assert Depends(dep, use_cache=False).use_cache is False

    def test_param_functions_reexports(self):
        for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Depends"):
            assert getattr(param_functions, name)("x" if name != "Depends" else None) is not None
        assert param_functions.Query("q") == Query("q")


class TestNumericConstraints:
    def test_ge_le(self):
        def handler(page: Annotated[int, Query(ge=1, le=10)]):
            return page

        assert bind(handler, b"page=1") == ((1,), {})
        assert bind(handler, b"page=10") == ((10,), {})
        assert errors_of(handler, b"page=0") == [
            {
                "loc": ["query", "page"],
                "msg": "Input should be greater than or equal to 1",
                "type": "greater_than_equal",
            }
        ]
        assert errors_of(handler, b"page=11")[0]["type"] == "less_than_equal"

    def test_gt_lt(self):
        def handler(x: float = Query(gt=0, lt=1)):
            return x

        assert bind(handler, b"x=0.5") == ((0.5,), {})
        assert errors_of(handler, b"x=0")[0]["type"] == "greater_than"
        assert errors_of(handler, b"x=1")[0]["type"] == "less_than"
        assert errors_of(handler, b"x=nan")[0]["type"] == "greater_than"

    def test_multiple_of(self):
        def ints(n: int = Query(multiple_of=5)):
            return n

        def floats(x: float = Query(multiple_of=0.1)):
            return x

        def decimals(d: Decimal = Query(multiple_of=Decimal("0.25"))):
            return d

        assert bind(ints, b"n=15") == ((15,), {})
        assert errors_of(ints, b"n=7")[0] == {
            "loc": ["query", "n"],
            "msg": "Input should be a multiple of 5",
            "type": "multiple_of",
        }
        assert bind(floats, b"x=0.3") == ((0.3,), {})
        assert errors_of(floats, b"x=0.35")[0]["type"] == "multiple_of"
        assert errors_of(floats, b"x=inf")[0]["type"] == "multiple_of"
        assert bind(decimals, b"d=1.75") == ((Decimal("1.75"),), {})
        assert errors_of(decimals, b"d=1.3")[0]["type"] == "multiple_of"

    def test_constraints_on_list_items(self):
        def handler(ids: Annotated[list[int], Query("id", gt=0, max_length=2)]):
            return ids

        assert bind(handler, b"id=1&id=2") == (([1, 2],), {})
        assert errors_of(handler, b"id=1&id=0")[0]["type"] == "greater_than"
        assert errors_of(handler, b"id=1&id=2&id=3") == [
            {"loc": ["query", "id"], "msg": "List should have at most 2 items", "type": "too_long"}
        ]


class TestTextConstraints:
    def test_string_length(self):
        def handler(name: str = Header("x-name", min_length=2, max_length=4)):
            return name

        assert bind(handler, headers={"x-name": "abc"}) == (("abc",), {})
        assert errors_of(handler, headers={"x-name": "a"}) == [
            {"loc": ["header", "x-name"], "msg": "String should have at least 2 characters", "type": "string_too_short"}
        ]
        assert errors_of(handler, headers={"x-name": "abcde"})[0]["type"] == "string_too_long"

    def test_bytes_length(self):
        def handler(data: bytes = Query(max_length=2)):
            return data

        assert bind(handler, b"data=ab") == ((b"ab",), {})
        assert errors_of(handler, b"data=%C3%A9%C3%A9")[0]["type"] == "bytes_too_long"

    def test_pattern_searches(self):
        def handler(code: str = Cookie(pattern=r"^[A-Z]{3}$"), word: str = Query(pattern="ab")):
            return code

        headers = {"cookie": "code=ABC"}
        assert bind(handler, b"word=xaby", headers=headers) == (("ABC", "xaby"), {})
        errors = errors_of(handler, b"word=ba", headers={"cookie": "code=abc"})
        assert errors == [
            {
                "loc": ["cookie", "code"],
                "msg": "String should match pattern '^[A-Z]{3}$'",
                "type": "string_pattern_mismatch",
            },
            {"loc": ["query", "word"], "msg": "String should match pattern 'ab'", "type": "string_pattern_mismatch"},
        ]

    def test_unannotated_parameter_is_text(self):
        def handler(q=Query(min_length=2)):
            return q

        assert bind(handler, b"q=ab") == (("ab",), {})
        assert errors_of(handler, b"q=a")[0]["type"] == "string_too_short"

    def test_path_constraint(self):
        def handler(item_id: int = Path(ge=1)):
            return item_id

        plan = compile_binding(handler, "GET", "/items/{item_id}")
        with pytest.raises(RequestValidationError) as info:
            plan.bind(Request("GET", "/items/0", {"item_id": "0"}, None, None, None, None))
        assert info.value.errors()[0]["loc"] == ["path", "item_id"]

    def test_body_constraints(self):
        def handler(items: Annotated[list[int], Body(min_length=1, ge=0)]):
            return items

        assert bind(handler, method="POST", body=b"[1, 2]") == (([1, 2],), {})
        assert errors_of(handler, method="POST", body=b"[]") == [
            {"loc": ["body"], "msg": "List should have at least 1 items", "type": "too_short"}
        ]
        assert errors_of(handler, method="POST", body=b"[-1]")[0]["type"] == "greater_than_equal"


class TestConstraintMisuse:
    @pytest.mark.parametrize(
        "annotation, marker",
        [
            (str, Query(gt=1)),
            (bool, Query(ge=0)),
            (int, Query(pattern="x")),
            (int, Query(min_length=1)),
            (dict, Body(max_length=3)),
        ],
    )
    def test_rejected_at_compile_time(self, annotation, marker):
        def handler(value: Annotated[annotation, marker]):
            return value

        with pytest.raises(TypeError, match="handler.*'value'"):
            compile_binding(handler, "POST", "/")
