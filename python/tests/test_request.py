"""The Request object: mapping access, copies, lazy query-string and cookie parsing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_bolt.request import Request, parse_cookie_header, parse_query_string


def make(query=b"", headers=None, *, params=None, body=None, context=None, method="GET", path="/x"):
    return Request(method, path, params, query, headers, body, context)


class TestConstruction:
    def test_missing_parts_read_as_empty(self):
        request = Request("GET", "/", None, None, None, None, None)
        assert request.params == {}
        assert request.query == {}
        assert request.headers == {}
        assert request.cookies == {}
        assert request.body == b""
        assert request.context is None

    def test_attributes(self):
        ctx = {"user_id": 1}
        request = make(b"a=1", {"h": "v"}, params={"id": "3"}, body=b"{}", context=ctx, method="POST")
        assert request.method == "POST"
        assert request.path == "/x"
        assert request.params == {"id": "3"}
        assert request.query == {"a": "1"}
        assert request.headers == {"h": "v"}
        assert request.body == b"{}"
        assert request.context is ctx

    def test_has_no_instance_dict(self):
        assert not hasattr(make(), "__dict__")


class TestMappingAccess:
    def test_every_documented_key(self):
        ctx = {"k": 1}
        request = make(b"q=1", {"cookie": "s=abc"}, params={"id": "7"}, body=b"xy", context=ctx, method="PUT")
        assert request["method"] == "PUT"
        assert request["path"] == "/x"
        assert request["body"] == b"xy"
        assert request["params"] == {"id": "7"}
        assert request["query"] == {"q": "1"}
        assert request["headers"] == {"cookie": "s=abc"}
        assert request["cookies"] == {"s": "abc"}
        assert request["context"] is ctx
        assert request["auth"] is ctx

    def test_unknown_key(self):
        request = make()
        with pytest.raises(KeyError):
            request["user"]
        assert request.get("user") is None
        assert request.get("user", 5) == 5

    def test_get_returns_value(self):
        request = make(b"a=b")
        assert request.get("query") == {"a": "b"}
        assert request.get("method", "x") == "GET"

    def test_auth_default_when_no_context(self):
        request = make()
        assert request.get("auth", {}) == {}
        assert request.get("context", "none") == "none"
        assert request["auth"] is None

    def test_auth_get_returns_the_context(self):
        ctx = {"user_id": "42"}
        request = make(context=ctx)
        assert request.get("auth", {}) is ctx
        assert request.get("context") is ctx

    @pytest.mark.parametrize("key", ["params", "query", "headers", "cookies"])
    def test_dicts_are_fresh_copies(self, key):
        request = make(b"a=1", {"cookie": "c=1", "h": "1"}, params={"p": "1"})
        first = request[key]
        first["injected"] = "x"
        assert "injected" not in request[key]
        assert request[key] is not request[key]
        attribute = getattr(request, key)
        attribute["injected"] = "x"
        assert "injected" not in getattr(request, key)

    def test_context_is_shared(self):
        ctx = {}
        request = make(context=ctx)
        request["context"]["seen"] = True
        assert request["auth"] == {"seen": True}


class TestQueryString:
    @pytest.mark.parametrize(
        "raw, expected",
        [
            (b"a=1&b=2", {"a": "1", "b": "2"}),
            (b"a=1&a=2", {"a": "2"}),
            (b"q=hello+world", {"q": "hello world"}),
            (b"q=a%2Bb", {"q": "a+b"}),
            (b"na%20me=v%26w", {"na me": "v&w"}),
            (b"q=caf%C3%A9", {"q": "café"}),
            (b"q=100%", {"q": "100%"}),
            (b"q=%zz%4", {"q": "%zz%4"}),
            (b"q=%FF", {"q": "\ufffd"}),
            (b"flag", {"flag": ""}),
            (b"flag=", {"flag": ""}),
            (b"=v&&a=1&", {"a": "1"}),
            (b"a=1=2", {"a": "1=2"}),
            (b"", {}),
            ("q=é".encode(), {"q": "é"}),
        ],
    )
    def test_parsing(self, raw, expected):
        assert make(raw).query == expected

    def test_pairs_keep_order_and_repeats(self):
        assert parse_query_string(b"t=a&x=1&t=b") == [("t", "a"), ("x", "1"), ("t", "b")]

    def test_query_is_parsed_once(self):
        request = make(b"a=1")
        assert request.query == request.query == {"a": "1"}

    @given(st.binary())
    def test_any_bytes_parse(self, raw):
        pairs = parse_query_string(raw)
        assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in pairs)
        assert make(raw).query == dict(pairs)


class TestCookies:
    @pytest.mark.parametrize(
        "header, expected",
        [
            ("a=1; b=2", {"a": "1", "b": "2"}),
            ("  a=1 ;  b= 2", {"a": "1", "b": " 2"}),
            ("a=1; a=2", {"a": "2"}),
            ('token="quoted%20value"', {"token": '"quoted%20value"'}),
            ("k=v=w", {"k": "v=w"}),
            ("=nameless; ok=1", {"ok": "1"}),
            ("flag", {"flag": ""}),
            ("", {}),
            (";;", {}),
        ],
    )
    def test_parsing(self, header, expected):
        assert make(headers={"cookie": header}).cookies == expected
        assert parse_cookie_header(header) == expected

    def test_no_cookie_header(self):
        assert make(headers={"other": "x"}).cookies == {}

    @given(st.text())
    def test_any_header_parses(self, header):
        cookies = make(headers={"cookie": header}).cookies
        assert all(name for name in cookies)


def test_repr():
    assert repr(make(method="DELETE", path="/a")) == "<Request DELETE /a>"
