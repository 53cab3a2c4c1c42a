"""The request object handed to handlers and dependencies.

The runtime builds one ``Request`` per HTTP request from what the Go core sends::

    Request(method, path, params, query, headers, body, context)

``query`` is the raw query string (bytes, without ``?``); ``headers`` has
lower-case names with the last value winning; ``params`` holds the raw path
parameter strings; ``context`` is the authentication context dict (or None).
The core only sends what a route needs, so any of ``params``, ``query``,
``headers`` and ``body`` may be None; they then read as empty.
``body`` may also be a str: the path of the temporary file holding a large
multipart body the core spooled to disk; ``.body`` then reads as empty and the
form parser reads the file.

Construction does no parsing: the query string and the ``cookie`` header are
parsed on first use and cached, because most handlers touch neither.

Two ways to read it:

* attributes: ``request.method``, ``.path``, ``.body``, ``.context``,
  ``.params``, ``.query``, ``.headers``, ``.cookies``;
* mapping style: ``request["query"]``, ``request.get("auth", {})`` for exactly
  the keys ``method``, ``path``, ``body``, ``params``, ``query``, ``headers``,
  ``cookies``, ``context`` and ``auth`` (the same dict as ``context``).

``params``, ``query``, ``headers`` and ``cookies`` are handed out as fresh
copies, so a handler that mutates one cannot change what another part of the
request pipeline sees. ``context`` is shared on purpose: authentication fills
it and handlers read it.

Query strings are parsed as HTML forms encode them: pairs split on ``&``, each
pair split at its first ``=``, ``+`` read as a space, then percent-decoding
(UTF-8; malformed escapes kept literally, undecodable bytes replaced by
U+FFFD). Pairs with an empty name are dropped and a bare ``flag`` reads as
``""``. ``query`` keeps the last value of a repeated name; the binding layer
also sees every value, in order, for ``list[...]`` parameters.

Cookies are read from the ``cookie`` header: split on ``;``, each piece
trimmed and split at its first ``=``; pieces with an empty name are dropped,
values are kept verbatim (no unquoting) and the last duplicate wins.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Generic, TypeVar
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

__all__ = ["Request", "RequestProtocol", "parse_query_string", "parse_cookie_header"]

UserT = TypeVar("UserT")
ClaimsT = TypeVar("ClaimsT")
StateT = TypeVar("StateT")


def _decode_component(raw: bytes) -> str:
    # Most names and values need neither step; skipping them keeps the common
    # case a single bytes.decode.
    if b"+" in raw:
        raw = raw.replace(b"+", b" ")
    if b"%" in raw:
        raw = unquote_to_bytes(raw)
    return raw.decode("utf-8", "replace")


def parse_query_string(raw: bytes) -> list[tuple[str, str]]:
    """Decode an ``application/x-www-form-urlencoded`` string into ordered pairs.

    Never raises: every byte string has a reading (see the module docstring).
    """
    pairs = []
    if b"%" not in raw and b"+" not in raw:
        # Nothing to unescape: decode once and split the text. Equivalent,
        # since UTF-8 never hides "&" or "=" inside a multi-byte sequence.
        for piece in raw.decode("utf-8", "replace").split("&"):
            name, _, value = piece.partition("=")
            if name:
                pairs.append((name, value))
        return pairs
    for piece in raw.split(b"&"):
        name, _, value = piece.partition(b"=")
        if name:
            pairs.append((_decode_component(name), _decode_component(value)))
    return pairs


def parse_cookie_header(header: str) -> dict[str, str]:
    """Read a ``Cookie`` request header into a name -> value dict."""
    cookies = {}
    for piece in header.split(";"):
        name, _, value = piece.strip().partition("=")
        if name:
            cookies[name] = value
    return cookies


class Request(Generic[UserT, ClaimsT, StateT]):
    """One HTTP request as seen by handlers; cheap to build, parsed lazily.

    Subscriptable for type hints only: ``request: Request[User, dict, dict]`` documents
    the types of ``request.user``, the auth claims and ``request.state``.
    """

    __slots__ = (
        "method",
        "path",
        "body",
        "context",
        "_body_file",
        "_params",
        "_raw_query",
        "_headers",
        "_query",
        "_query_lists",
        "_cookies",
        "_state",
    )

    def __init__(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        query: bytes | None,
        headers: dict[str, str] | None,
        body: bytes | str | None,
        context: dict | None,
    ) -> None:
        # The server's lane builds its Requests without calling __init__ (pyhost/request.c
        # stores the slots as this does): change both together.
        self.method = method
        self.path = path
        if body.__class__ is str:
            # The core spooled a large multipart body to this file (server/spool.go);
            # only the form parser reads it.
            self.body, self._body_file = b"", body
        else:
            self.body = b"" if body is None else body
            self._body_file = None
        self.context = context
        self._params = {} if params is None else params
        self._raw_query = query
        self._headers = {} if headers is None else headers
        self._query: dict[str, str] | None = None
        self._query_lists: dict[str, list[str]] | None = None
        self._cookies: dict[str, str] | None = None
        self._state: dict[str, Any] | None = None

    # The binding layer reads through these uncopied views on every request;
    # they must be treated as read-only.

    def _query_map(self) -> dict[str, str]:
        query = self._query
        if query is None:
            raw = self._raw_query
            query = self._query = dict(parse_query_string(raw)) if raw else {}
        return query

    def _query_multi(self) -> dict[str, list[str]]:
        lists = self._query_lists
        if lists is None:
            lists = self._query_lists = {}
            if self._raw_query:
                for name, value in parse_query_string(self._raw_query):
                    lists.setdefault(name, []).append(value)
        return lists

    def _cookie_map(self) -> dict[str, str]:
        if self._cookies is None:
            header = self._headers.get("cookie")
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies

    @property
    def params(self) -> dict[str, str]:
        return dict(self._params)

    @property
    def query(self) -> dict[str, str]:
        return dict(self._query_map())

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._headers)

    @property
    def cookies(self) -> dict[str, str]:
        return dict(self._cookie_map())

    @property
    def state(self) -> dict[str, Any]:
        """Per-request storage shared by middleware and the handler."""
        state = self._state
        if state is None:
            state = self._state = {}
        return state

    # Set by Django middleware (sessions, authentication) when a route runs it; see
    # django_bolt.middleware.django_adapter. Reading one that was never set is an
    # AttributeError, as on a Django request without that middleware.

    @property
    def session(self) -> Any:
        return self._from_state("session")

    @session.setter
    def session(self, value: Any) -> None:
        self.state["session"] = value

    @property
    def user(self) -> Any:
        """The user: set by Django's authentication middleware, else loaded on first use
        by the backend that authenticated the request (``None`` when nobody did)."""
        state = self._state
        if state is not None and "user" in state:
            return state["user"]
        context = self.context
        user_id = context.get("user_id") if context else None
        if user_id is None:
            return None
        from django.utils.functional import SimpleLazyObject

        from .auth.user_loader import load_user_sync

        user = self.state["user"] = SimpleLazyObject(partial(load_user_sync, user_id, context))
        return user

    @user.setter
    def user(self, value: Any) -> None:
        self.state["user"] = value

    @property
    def auser(self) -> Any:
        """``await request.auser()``: the user, loaded without blocking the event loop;
        ``AnonymousUser`` when nobody authenticated."""
        auser = (self._state or {}).get("auser")
        if auser is not None:
            return auser
        context = self.context
        if context and context.get("user_id") is not None:
            return partial(_load_auser, self)
        return _anonymous_user

    @auser.setter
    def auser(self, value: Any) -> None:
        self.state["auser"] = value

    @property
    def META(self) -> dict[str, Any]:
        """The WSGI-style environ Django code reads (Django middleware's own when it ran)."""
        meta = self.state.get("META")
        if meta is None:
            meta = self.state["META"] = _build_meta(self)
        return meta

    def get_full_path(self) -> str:
        """The path with the query string as the client sent it (``/items?page=2``)."""
        query = self._raw_query
        return f"{self.path}?{query.decode('latin-1')}" if query else self.path

    def build_absolute_uri(self, location: str | None = None) -> str:
        """An absolute URL for ``location`` (default: this request's full path), built from
        the ``Host`` header (``localhost`` without one) and ``X-Forwarded-Proto`` (``http``)."""
        headers = self._headers
        scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
        base = f"{scheme}://{headers.get('host') or 'localhost'}"
        current = base + self.get_full_path()
        if location is None:
            return current
        if urlsplit(location).scheme:
            return location
        return urljoin(current, location)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not attributes: values middleware put in state
        # (Django's message storage is read as request._messages).
        state = object.__getattribute__(self, "_state")
        if state is not None and name in state and not name.startswith("__"):
            return state[name]
        raise AttributeError(f"'Request' object has no attribute {name!r}")

    def __setitem__(self, key: str, value: Any) -> None:
        if key != "user":
            raise KeyError(f"request[{key!r}] cannot be assigned; only request[\"user\"] can")
        self.user = value

    def _from_state(self, name: str) -> Any:
        try:
            return (self._state or {})[name]
        except KeyError:
            raise AttributeError(
                f"'Request' object has no attribute {name!r}: add Django's SessionMiddleware to the "
                "API (BoltAPI(django_middleware=[...]) or DjangoMiddleware(...))"
            ) from None

    def __getitem__(self, key: str) -> Any:
        getter = _ITEMS.get(key)
        if getter is None:
            raise KeyError(key)
        return getter(self)

    def get(self, key: str, default: Any = None) -> Any:
        getter = _ITEMS.get(key)
        if getter is None:
            return default
        value = getter(self)
        # Only the auth context can be absent; `request.get("auth", {})` relies on it.
        if value is None:
            return default
        return value

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


async def _anonymous_user() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


async def _load_auser(request: Request) -> Any:
    from django.contrib.auth.models import AnonymousUser

    from .auth.user_loader import load_user

    state = request.state
    if "auser_loaded" not in state:
        state["auser_loaded"] = await load_user(request.context["user_id"], request.context)
    user = state["auser_loaded"]
    return AnonymousUser() if user is None else user


# The request type for hints and isinstance checks (the original names its protocol so).
RequestProtocol = Request


def _build_meta(request: Request) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": request.path,
        "QUERY_STRING": (request._raw_query or b"").decode("latin-1"),
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": request._headers.get("x-forwarded-proto", "http"),
    }
    host = request._headers.get("host") or "localhost"
    name, sep, port = host.rpartition(":")
    if not sep or "]" in port:  # no port, or an IPv6 address without one
        name, port = host, ("443" if meta["wsgi.url_scheme"] == "https" else "80")
    meta["SERVER_NAME"], meta["SERVER_PORT"] = name, port
    for name, value in request._headers.items():
        if "_" in name:
            # X_Trace would be HTTP_X_TRACE, as X-Trace is: a client could slip one past a
            # proxy that sets or strips the other. Django's ASGIRequest drops them too.
            continue
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            meta[key] = value
        else:
            meta["HTTP_" + key] = value
    return meta


_ITEMS = {
    "method": lambda r: r.method,
    "path": lambda r: r.path,
    "body": lambda r: r.body,
    "params": lambda r: r.params,
    "query": lambda r: r.query,
    "headers": lambda r: r.headers,
    "cookies": lambda r: r.cookies,
    "context": lambda r: r.context,
    "auth": lambda r: r.context,
}
