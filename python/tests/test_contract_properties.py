"""Property tests: whatever a client sends in the query, cookies or a form body, the
answer is never a server error: bad input is the client's fault."""

from typing import Annotated, Optional

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import contract_helpers
from django_bolt import BoltAPI
from django_bolt.params import Cookie, File, Form
from django_bolt.responses import UploadFile
from django_bolt.testing import TestClient

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Payload(msgspec.Struct):
    name: str
    count: int
    tags: list[str] = []


def build_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/query")
    async def query(
        a: int = 0,
        b: float = 0.0,
        c: bool = False,
        d: Optional[str] = None,
        e: list[int] = [],
        f: list[str] = [],
        g: Optional[float] = None,
    ):
        return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}

    @api.get("/query-required")
    async def query_required(n: int, s: str):
        return {"n": n, "s": s}

    @api.get("/cookies")
    async def cookies(
        session: Annotated[Optional[str], Cookie("session")] = None,
        visits: Annotated[int, Cookie()] = 0,
        ratio: Annotated[float, Cookie()] = 1.0,
    ):
        return {"session": session, "visits": visits, "ratio": ratio}

    @api.get("/cookies-raw")
    async def cookies_raw(request):
        return {"cookies": request["cookies"]}

    @api.post("/form")
    async def form(
        title: Annotated[str, Form()],
        count: Annotated[int, Form()] = 0,
        doc: Annotated[Optional[UploadFile], File()] = None,
        raw: Annotated[Optional[bytes], File()] = None,
        many: Annotated[list[dict], File()] = [],
    ):
        return {
            "title": title,
            "count": count,
            "doc": None if doc is None else doc.size,
            "raw": None if raw is None else len(raw),
            "many": len(many),
        }

    @api.post("/json")
    async def json_body(payload: Payload):
        return {"name": payload.name}

    return api


@pytest.fixture(scope="module")
def client():
    with TestClient(build_api()) as c:
        yield c


def assert_not_server_error(r):
    assert r.status_code < 500, (r.status_code, r.text)
    if r.status_code == 422:
        detail = r.json()["detail"]
        assert isinstance(detail, list) and detail


# -- query strings ----------------------------------------------------------------

QUERY_ATOMS = st.sampled_from(list("abcdefgxyz0123456789-_.~!$'()*,;:@/?+ =&%é\u2603")
                              + ["%zz", "%ff", "%2", "%00", "%C3%A9", "%E2%98", "%2B", "%26"])


def query_text(max_atoms: int) -> st.SearchStrategy[str]:
    return st.lists(QUERY_ATOMS, max_size=max_atoms).map("".join)


names = st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "n", "s", "x", ""])
values = st.one_of(
    query_text(12),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["true", "false", "yes", "0", "1", "", "1e999", "-", "_1", "[1,2]", "null"]),
)
query_pairs = st.lists(st.tuples(names, values), max_size=8)


@SETTINGS
@given(pairs=query_pairs)
def test_query_pairs_never_500(client, pairs):
    qs = "&".join(f"{k}={v}" for k, v in pairs)
    assert_not_server_error(client.get(f"/query?{qs}"))
    assert_not_server_error(client.get(f"/query-required?{qs}"))


@SETTINGS
@given(raw=query_text(60))
def test_raw_query_string_never_500(client, raw):
    assert_not_server_error(client.get(f"/query?{raw}"))
    assert_not_server_error(client.get(f"/query-required?{raw}"))


@SETTINGS
@given(pairs=query_pairs)
def test_valid_looking_query_roundtrip(client, pairs):
    r = client.get("/query", params=[(k or "k", v) for k, v in pairs])
    assert_not_server_error(r)


# -- cookie headers ---------------------------------------------------------------

COOKIE_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
cookie_values = st.one_of(st.text(COOKIE_CHARS, max_size=20), st.integers().map(str),
                          st.sampled_from(["", '"quoted"', "a=b=c", ";", "1.5", "nan", "inf"]))
cookie_names = st.sampled_from(["session", "visits", "ratio", "other", "", " session ", "=", "a b"])


@SETTINGS
@given(pairs=st.lists(st.tuples(cookie_names, cookie_values), max_size=6),
       sep=st.sampled_from(["; ", ";", " ; ", ";;"]))
def test_cookie_header_never_500(client, pairs, sep):
    header = sep.join(f"{k}={v}" for k, v in pairs)
    assert_not_server_error(client.get("/cookies", headers={"Cookie": header}))
    assert_not_server_error(client.get("/cookies-raw", headers={"Cookie": header}))


@SETTINGS
@given(header=st.text(COOKIE_CHARS, max_size=80))
def test_raw_cookie_header_never_500(client, header):
    assert_not_server_error(client.get("/cookies", headers={"Cookie": header}))


# -- multipart bodies -------------------------------------------------------------

BOUNDARY = "prop-boundary-x9"
field_names = st.sampled_from(["title", "count", "doc", "raw", "many", "other", ""])
filenames = st.one_of(st.none(), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E,
                                                       blacklist_characters='"\\'), max_size=12))
part_bodies = st.one_of(st.binary(max_size=64), st.text(max_size=20).map(str.encode))


@st.composite
def multipart_bodies(draw):
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        name = draw(field_names)
        filename = draw(filenames)
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        header = f"Content-Disposition: {disposition}\r\n"
        if draw(st.booleans()):
            header += f"Content-Type: {draw(st.sampled_from(['text/plain', 'application/octet-stream', 'x']))}\r\n"
        parts.append(f"--{BOUNDARY}\r\n{header}\r\n".encode() + draw(part_bodies) + b"\r\n")
    body = b"".join(parts)
    ending = draw(st.sampled_from([f"--{BOUNDARY}--\r\n".encode(), b"", f"--{BOUNDARY}".encode(), b"--"]))
    body += ending
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.binary(max_size=16))
    return body


@SETTINGS
@given(body=multipart_bodies())
def test_multipart_body_never_500(client, body):
    r = client.post("/form", content=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_not_server_error(r)


@SETTINGS
@given(body=st.binary(max_size=200),
       ctype=st.sampled_from([f"multipart/form-data; boundary={BOUNDARY}", "multipart/form-data",
                              "multipart/form-data; boundary=", "application/x-www-form-urlencoded",
                              "text/plain", "application/json"]))
def test_arbitrary_form_body_never_500(client, body, ctype):
    assert_not_server_error(client.post("/form", content=body, headers={"Content-Type": ctype}))


@SETTINGS
@given(body=st.binary(max_size=120))
def test_arbitrary_json_body_never_500(client, body):
    assert_not_server_error(client.post("/json", content=body, headers={"Content-Type": "application/json"}))


@SETTINGS
@given(payload=st.dictionaries(st.sampled_from(["name", "count", "tags", "x"]),
                               st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers()),
                                         st.floats(allow_nan=False, allow_infinity=False)), max_size=4))
def test_json_shapes_never_500(client, payload):
    assert_not_server_error(client.post("/json", json=payload))


def test_valid_multipart_is_bound(client):
    body, ctype = contract_helpers.multipart(
        {"title": "t", "count": "3"},
        [("doc", "d.txt", "text/plain", b"12345"), ("raw", "r.bin", "application/octet-stream", b"xy"),
         ("many", "1", "text/plain", b"a"), ("many", "2", "text/plain", b"b")],
    )
    r = client.post("/form", content=body, headers={"Content-Type": ctype})
    assert r.json() == {"title": "t", "count": 3, "doc": 5, "raw": 2, "many": 2}
