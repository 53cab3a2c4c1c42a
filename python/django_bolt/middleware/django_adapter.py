"""Running Django's own middleware (sessions, authentication, messages, CSRF...) on Bolt routes.

    from django_bolt.middleware import DjangoMiddleware, DjangoMiddlewareStack

    api = BoltAPI(middleware=[
        DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"),
    ])
    # or every middleware of settings.MIDDLEWARE, in one stack:
    api = BoltAPI(django_middleware=True)

A stack converts the Bolt request into one Django ``HttpRequest`` and runs, in order:
the ``process_request`` hooks (a response stops there), every ``process_view`` hook
(CSRF is checked here; handlers marked ``@csrf_exempt`` pass), the Bolt handler, and
the ``process_response`` hooks in reverse. Middleware written only as a callable
(``__call__``) runs in its place in the same order. What the middleware attached to the
Django request reaches the handler: ``request.session``, ``request.user``,
``request.auser``, ``request.META``, and the message storage. A response made by
Django middleware (a redirect, a CSRF 403, a session cookie) reaches the client as it is.

Sync hooks run in a thread with ``sync_to_async``, as Django runs sync middleware under
ASGI: they may query the database (``RemoteUserMiddleware`` and
``LoginRequiredMiddleware`` load the user, ``CurrentSiteMiddleware`` the site, the cache
middleware reach the cache), which the ORM refuses on the event loop. Only the hooks of
Django's own middleware known to do no I/O (the session and the user are loaded lazily,
when a handler asks) run on the loop, saving the thread hop; async hooks are awaited.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async

from .._runtime.protocol import SendFile
from ..middleware_response import add_cookie_lines

__all__ = ["DjangoMiddleware", "DjangoMiddlewareStack", "view_target"]

Step = Callable[[Any], Awaitable[Any]]

# Hooks of Django's own middleware that do no I/O, run on the event loop. CSRF's read the
# session when CSRF_USE_SESSIONS is set (see _inline_hook). SessionMiddleware's
# process_response saves a modified session: it is called inline only for an unmodified
# one (_session_response).
_INLINE_HOOKS = {
    ("django.middleware.security.SecurityMiddleware", "process_request"),
    ("django.middleware.security.SecurityMiddleware", "process_response"),
    ("django.middleware.common.CommonMiddleware", "process_request"),
    ("django.middleware.common.CommonMiddleware", "process_response"),
    ("django.middleware.clickjacking.XFrameOptionsMiddleware", "process_response"),
    ("django.middleware.gzip.GZipMiddleware", "process_response"),
    ("django.middleware.http.ConditionalGetMiddleware", "process_response"),
    ("django.middleware.locale.LocaleMiddleware", "process_request"),
    ("django.middleware.locale.LocaleMiddleware", "process_response"),
    ("django.middleware.csrf.CsrfViewMiddleware", "process_request"),
    ("django.middleware.csrf.CsrfViewMiddleware", "process_view"),
    ("django.middleware.csrf.CsrfViewMiddleware", "process_response"),
    ("django.contrib.sessions.middleware.SessionMiddleware", "process_request"),
    ("django.contrib.auth.middleware.AuthenticationMiddleware", "process_request"),
    ("django.contrib.messages.middleware.MessageMiddleware", "process_request"),
}
_CSRF = "django.middleware.csrf.CsrfViewMiddleware"


def _inline_hook(name: str, hook: str) -> bool:
    """Whether a sync hook of this middleware may run on the event loop."""
    if (name, hook) not in _INLINE_HOOKS:
        return False
    if name == _CSRF:
        from django.conf import settings

        return not settings.CSRF_USE_SESSIONS
    return True


def view_target(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function to bind and call for a handler marked ``@csrf_exempt``.

    Django's wrapper only carries the ``csrf_exempt`` flag (read from the registered
    handler by ``CsrfViewMiddleware``), but it would pass the request positionally to a
    handler that may not take one; the handler itself is called instead.
    """
    if getattr(fn, "csrf_exempt", False) and hasattr(fn, "__wrapped__"):
        return fn.__wrapped__
    return fn


def _import(cls_or_path: Any) -> type:
    if isinstance(cls_or_path, str):
        from django.utils.module_loading import import_string

        return import_string(cls_or_path)
    if not isinstance(cls_or_path, type) and not callable(cls_or_path):
        raise TypeError(
            f"DjangoMiddleware takes a Django middleware class or its dotted path, e.g. "
            f"DjangoMiddleware('django.contrib.sessions.middleware.SessionMiddleware'), not {cls_or_path!r}"
        )
    return cls_or_path


def _dotted(cls: Any) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class DjangoMiddleware:
    """One Django middleware (class or dotted path), with keyword arguments for its constructor."""

    def __init__(self, middleware_class: Any, **init_kwargs: Any) -> None:
        self.middleware_class = _import(middleware_class)
        self.init_kwargs = init_kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"DjangoMiddleware({self.middleware_class.__name__}) is not called with a get_response: "
            "put it in BoltAPI(middleware=[...]) or @middleware(...) as it is"
        )

    def build_step(self, nxt: Step, handler: Callable[..., Any]) -> Step:
        return DjangoMiddlewareStack([self]).build_step(nxt, handler)

    def __repr__(self) -> str:
        return f"DjangoMiddleware({_dotted(self.middleware_class)})"


class DjangoMiddlewareStack:
    """Several Django middleware run around a handler with a single request conversion."""

    def __init__(self, middleware: Iterable[Any]) -> None:
        self.middleware = [m if isinstance(m, DjangoMiddleware) else DjangoMiddleware(m) for m in middleware]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("DjangoMiddlewareStack([...]) is not called with a get_response: put it in middleware=[...]")

    def __repr__(self) -> str:
        return f"DjangoMiddlewareStack({[_dotted(m.middleware_class) for m in self.middleware]})"

    def build_step(self, nxt: Step, handler: Callable[..., Any]) -> Step:
        return _Stack(self.middleware, nxt, handler).run


def _never_called(request: Any) -> Any:  # pragma: no cover - hooks are called directly
    raise RuntimeError("the hooks of this middleware are called one by one")


class _Layer:
    """One middleware instance and how to call it."""

    def __init__(self, spec: DjangoMiddleware, inner: Callable[[Any], Awaitable[Any]]) -> None:
        cls = spec.middleware_class
        name = _dotted(cls)
        hooks = [h for h in ("process_request", "process_view", "process_response", "process_exception")
                 if callable(getattr(cls, h, None))]
        self.name = name
        self.callable_style = not hooks
        if self.callable_style:
            # Django's rule: async-capable middleware gets an async get_response.
            if getattr(cls, "async_capable", False):
                get_response = markcoroutinefunction(_bound(inner))
                self.instance = cls(get_response, **spec.init_kwargs)
                self.is_async = iscoroutinefunction(self.instance)
            else:
                self.instance = cls(async_to_sync(inner), **spec.init_kwargs)
                self.is_async = False
            return
        self.instance = cls(_never_called, **spec.init_kwargs)
        self.hooks: dict[str, Callable[..., Awaitable[Any]]] = {}
        for hook in hooks:
            fn = getattr(self.instance, hook)
            if iscoroutinefunction(fn):
                self.hooks[hook] = fn
            elif _inline_hook(name, hook):
                self.hooks[hook] = _inline(fn)
            else:
                self.hooks[hook] = sync_to_async(fn, thread_sensitive=True)
        if name == "django.contrib.sessions.middleware.SessionMiddleware" and "process_response" in self.hooks:
            # Saving only happens for a modified session: an untouched one is answered inline.
            self.hooks["process_response"] = _session_response(self.instance.process_response)


def _bound(inner: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    async def get_response(request: Any) -> Any:
        return await inner(request)

    return get_response


def _inline(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any) -> Any:
        return fn(*args)

    return call


def _session_response(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    threaded = sync_to_async(fn, thread_sensitive=True)

    async def call(request: Any, response: Any) -> Any:
        from django.conf import settings

        session = getattr(request, "session", None)
        if session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST):
            return await threaded(request, response)
        return fn(request, response)

    return call


class _Stack:
    """The compiled stack of one route."""

    def __init__(self, specs: list[DjangoMiddleware], nxt: Step, handler: Callable[..., Any]) -> None:
        self.nxt = nxt
        self.handler = handler
        self.layers: list[_Layer] = []
        # Built innermost first: a callable-style layer needs the rest of the stack as get_response.
        for index in reversed(range(len(specs))):
            self.layers.insert(0, _Layer(specs[index], self._continuation(index + 1)))
        self.views = [layer.hooks["process_view"] for layer in self.layers
                      if not layer.callable_style and "process_view" in layer.hooks]

    def _continuation(self, index: int) -> Callable[[Any], Awaitable[Any]]:
        async def rest(django_request: Any) -> Any:
            return await self._from(index, django_request)

        return rest

    async def run(self, request: Any) -> Any:
        django_request = _django_request(request)
        django_request._bolt_request = request
        response = await self._from(0, django_request)
        return _to_result(response)

    async def _from(self, index: int, django_request: Any) -> Any:
        if index == len(self.layers):
            return await self._view(django_request)
        layer = self.layers[index]
        if layer.callable_style:
            if layer.is_async:
                return await layer.instance(django_request)
            return await sync_to_async(layer.instance, thread_sensitive=True)(django_request)
        hooks = layer.hooks
        response = None
        if "process_request" in hooks:
            response = await hooks["process_request"](django_request)
        if response is None:
            response = await self._from(index + 1, django_request)
        if "process_response" in hooks:
            response = await hooks["process_response"](django_request, response)
        return response

    async def _view(self, django_request: Any) -> Any:
        for view_hook in self.views:
            response = await view_hook(django_request, self.handler, (), {})
            if response is not None:
                return response
        request = django_request._bolt_request
        _share(django_request, request)
        try:
            result = await self.nxt(request)
        except Exception as exc:
            response = await self._exception(django_request, exc)
            if response is None:
                raise
            return response
        finally:
            # alogin()/alogout() replace the user on the Bolt request.
            state = request.state
            if "user" in state:
                django_request.user = state["user"]
        return _to_django(result)

    async def _exception(self, django_request: Any, exc: Exception) -> Any:
        for layer in reversed(self.layers):
            hook = None if layer.callable_style else layer.hooks.get("process_exception")
            if hook is not None:
                response = await hook(django_request, exc)
                if response is not None:
                    return response
        return None


def _django_request(request: Any) -> Any:
    """A Django ``ASGIRequest`` for the Bolt request (headers, query, body, cookies)."""
    from django.core.handlers.asgi import ASGIRequest

    headers = request._headers
    # As for the site's views (site.py): the scheme is the connection's, which Django
    # overrides from a proxy's header only through SECURE_PROXY_SSL_HEADER, and the
    # client's address is not known here; forwarded headers are whatever the client sent.
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.path.encode(),
        "query_string": request._raw_query or b"",
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()],
        "client": None,
        "server": None,
    }
    return ASGIRequest(scope, io.BytesIO(request.body))


_SHARED = ("session", "user", "auser", "_messages")


def _share(django_request: Any, request: Any) -> None:
    """Give the Bolt request what Django middleware attached to the Django one."""
    state = request.state
    for name in _SHARED:
        if hasattr(django_request, name):
            state[name] = getattr(django_request, name)
    state["META"] = django_request.META
    if "CSRF_COOKIE" in django_request.META:
        state["_csrf_token"] = django_request.META["CSRF_COOKIE"]


def _to_django(result: Any) -> Any:
    """The Bolt handler's result as a Django response, for process_response hooks."""
    from django.http import HttpResponse

    from ..responses import StreamingResponse

    if isinstance(result, StreamingResponse):
        response = HttpResponse(status=result.status_code)
        del response["Content-Type"]
        for name, value in result.headers.items():
            response[name] = value
        response._bolt_stream = result
        response._bolt_cookies = []
        return response
    status, headers, body = result
    # A file stays on disk: Django's hooks see its headers, Go sends it.
    response = HttpResponse(b"" if isinstance(body, SendFile) else body, status=status)
    response._bolt_file = body if isinstance(body, SendFile) else None
    del response["Content-Type"]
    cookies = []
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookies.append(value)
        else:
            response[name] = value
    response._bolt_cookies = cookies
    return response


def _to_result(response: Any) -> Any:
    """A Django response (the handler's, or one made by middleware) as a Bolt result."""
    # The server computes Content-Length from the body it sends.
    headers = [(name.lower(), value) for name, value in response.items() if name.lower() != "content-length"]
    headers.extend(("set-cookie", value) for value in getattr(response, "_bolt_cookies", ()))
    headers.extend(("set-cookie", morsel.OutputString()) for morsel in response.cookies.values())
    stream = getattr(response, "_bolt_stream", None)
    if stream is not None:
        stream.status_code = response.status_code
        stream.headers = {k: v for k, v in headers if k != "set-cookie"}
        add_cookie_lines(stream, [v for k, v in headers if k == "set-cookie"])
        return stream
    file = getattr(response, "_bolt_file", None)
    if file is not None:
        return response.status_code, headers, file
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    return response.status_code, headers, body
