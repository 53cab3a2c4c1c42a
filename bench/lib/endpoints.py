"""The benchmarked endpoints. Adding one is one line in ENDPOINTS.

Each server is probed with one request before its warm-up; a server answering 404
to an endpoint that should exist is skipped for it (and the report says so), so an
endpoint can be listed before every server implements it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import payloads

Body = Callable[[], tuple[bytes, str]]  # returns (body, content type)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: Body | None = None
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 200  # the status a correct answer has
    # Bytes the correct answer contains, to tell a deliberate 404 from a missing route.
    expect_body: bytes | None = None
    # Other statuses that give the same answer on a peer (a 307 for our 308), and
    # statuses that show the peer lacks the feature measured, with why (it is skipped).
    alike: tuple[int, ...] = ()
    unlike: dict[int, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    # Requests sent before the probe to reach the state measured (a spent rate limit;
    # with several processes each has its own limit, and connections spread over them).
    primes: int = 0
    # Tells the row from another one on the same path in reports ("as browsers ask").
    note: str = ""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.note})" if self.note else "")


E = Endpoint
ENDPOINTS: list[Endpoint] = [
    E("root", "GET", "/", tags=("core",)),
    E("item", "GET", "/items/1?q=hello", tags=("core",)),
    E("item-put", "PUT", "/items/1", body=payloads.item),
    E("parse", "POST", "/bench/parse", body=payloads.bench_parse),
    E("items100", "GET", "/items100"),
    E("serializer100", "GET", "/serializer/items100", expect_body=b'"label":', tags=("serializer",)),
    E("header", "GET", "/header", headers={"x-test": "benchmark"}),
    E("cookie", "GET", "/cookie", headers={"Cookie": "session=abc123"}),
    E("exc", "GET", "/exc", expect=404, expect_body=b"Not found"),
    E("html", "GET", "/html"),
    E("redirect", "GET", "/redirect", expect=302),
    E("file", "GET", "/file-static"),
    # Served by Go from the admin app's static directory (no Python).
    E("static-css", "GET", "/static/admin/css/base.css", expect_body=b"DJANGO Admin styles", tags=("static",)),
    # The same stylesheet asked for as browsers do: the answer is compressed (brotli, by
    # default), so its body cannot be matched against the text.
    E("static-css-gzip", "GET", "/static/admin/css/base.css",
      headers={"Accept-Encoding": "gzip, deflate, br, zstd"}, note="Accept-Encoding: gzip, deflate, br, zstd",
      tags=("static",)),
    E("stream", "GET", "/stream", tags=("stream",)),
    E("sse", "GET", "/sse", tags=("stream",)),
    E("sse-async", "GET", "/sse-async", tags=("stream",)),
    E("form", "POST", "/form", body=payloads.form),
    E("upload", "POST", "/upload", body=payloads.upload),
    E("users-full10", "GET", "/users/full10", tags=("orm",)),
    E("users-mini10", "GET", "/users/mini10", tags=("orm",)),
    # Class-based views and routers (example project): the same ORM read as users-mini10
    # through a paginated ViewSet list (a count and a page), a ViewSet retrieve, and a
    # router-included route beside GET /.
    # The peers page with their own paginators, so the page's other keys differ.
    E("vs-list", "GET", "/vs/users?page=1", expect_body=b'"items"', tags=("orm", "views")),
    E("vs-retrieve", "GET", "/vs/users/1", expect_body=b'"username"', tags=("orm", "views")),
    E("router-get", "GET", "/router/hello", expect_body=b'"Hello"', tags=("core", "views")),
    # The trailing-slash spelling of that route: a 308 answered in Go (Starlette's
    # redirect_slashes answers 307).
    E("slash-308", "GET", "/router/hello/", expect=308, tags=("core", "views"), alike=(307,),
      unlike={200: "serves the route on both spellings: no redirect"}),
    # The neutral project's ORM read (bench/neutral: the original serves it too).
    E("rows10", "GET", "/rows10", tags=("orm",)),
    E("404", "GET", "/no/such/route", expect=404),
    E("auth-401", "GET", "/auth/me", expect=401, expect_body=b"Authentication required",
      tags=("auth",)),
    E("auth-jwt", "GET", "/auth/me", headers={"Authorization": f"Bearer {payloads.jwt_token()}"},
      expect_body=b'"user_id":"1"', tags=("auth",)),
    E("rate-429", "GET", "/limited", expect=429, expect_body=b"Rate limit exceeded", primes=60,
      tags=("auth",)),
    E("mw-timing", "GET", "/mw/timed", expect_body=b"request_id", tags=("middleware",)),
    # A session middleware with a session cookie: the session (visits: 3) is read, not
    # written. Django's (ours, the original, Ninja) reads it from the session table,
    # Litestar's from its in-memory store, Starlette's from its signed cookie.
    E("mw-session", "GET", "/mw/session-peek", headers={"Cookie": payloads.session_cookies()},
      expect_body=b"3}", tags=("middleware",)),
    E("preflight", "OPTIONS", "/cors", expect=204,
      headers={"Origin": "http://example.com", "Access-Control-Request-Method": "GET"}, tags=("auth",)),
    # Cost as the work grows (neutral project): response size, chunks per stream; the
    # route-table size is a server variant (bolt312-r100, bolt312-r1000) on `item`.
    E("json-1k", "GET", "/json/1", tags=("growth",)),
    E("json-10k", "GET", "/json/10", tags=("growth",)),
    E("json-100k", "GET", "/json/100", tags=("growth",)),
    E("chunks-1", "GET", "/chunks/1", tags=("growth", "stream")),
    E("chunks-10", "GET", "/chunks/10", tags=("growth", "stream")),
    E("chunks-100", "GET", "/chunks/100", tags=("growth", "stream")),
]


def select(only: str | None) -> list[Endpoint]:
    """Endpoints named, or tagged, in a comma-separated list; all when None."""
    if not only:
        return list(ENDPOINTS)
    wanted = {w.strip() for w in only.split(",") if w.strip()}
    known = {e.name for e in ENDPOINTS} | {t for e in ENDPOINTS for t in e.tags}
    unknown = wanted - known
    if unknown:
        raise SystemExit(f"--only: unknown endpoint or tag {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(known))})")
    return [e for e in ENDPOINTS if e.name in wanted or wanted & set(e.tags)]
