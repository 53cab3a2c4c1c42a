"""Middleware: CORS and rate limiting run by the Go core, and your own in Python.

* ``decorators`` - per-route ``@cors``, ``@rate_limit``, ``@middleware``,
  ``@skip_middleware``, ``@no_compress``;
* ``middleware`` - middleware objects (``CORSMiddleware``,
  ``RateLimitMiddleware``, the ``Middleware`` and ``BaseMiddleware`` base
  classes, groups and configs);
* ``builtin`` - ``TimingMiddleware``, ``LoggingMiddleware``,
  ``ErrorHandlerMiddleware``;
* ``django_adapter`` / ``django_loader`` - Django's own middleware on Bolt
  routes (``DjangoMiddleware``, ``DjangoMiddlewareStack``,
  ``BoltAPI(django_middleware=...)``);
* ``chain`` - how each middleware style is run around a handler;
* ``cors_settings`` - the project-wide ``CORS_*`` settings;
* ``compiler`` - turns a route's configuration into what the server runs.
"""

from .compiler import (
    RouteSecurity,
    compile_middleware_meta,
    compile_route_security,
    global_security_config,
    middleware_to_dict,
)
from .builtin import ErrorHandlerMiddleware, LoggingMiddleware, TimingMiddleware
from .chain import FunctionMiddleware
from .django_adapter import DjangoMiddleware, DjangoMiddlewareStack
from .django_loader import DEFAULT_EXCLUDED_MIDDLEWARE, get_django_middleware_setting, load_django_middleware
from .decorators import cors, middleware, no_compress, rate_limit, skip_middleware
from .middleware import (
    BaseMiddleware,
    CORSMiddleware,
    GetResponse,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    MiddlewareProtocol,
    MiddlewareType,
    NativeMiddleware,
    RateLimitMiddleware,
)

__all__ = [
    "cors",
    "rate_limit",
    "skip_middleware",
    "no_compress",
    "middleware",
    "Middleware",
    "BaseMiddleware",
    "MiddlewareProtocol",
    "GetResponse",
    "MiddlewareType",
    "FunctionMiddleware",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
    "DjangoMiddleware",
    "DjangoMiddlewareStack",
    "load_django_middleware",
    "get_django_middleware_setting",
    "DEFAULT_EXCLUDED_MIDDLEWARE",
    "NativeMiddleware",
    "MiddlewareGroup",
    "MiddlewareConfig",
    "CORSMiddleware",
    "RateLimitMiddleware",
    "RouteSecurity",
    "compile_route_security",
    "compile_middleware_meta",
    "global_security_config",
    "middleware_to_dict",
]
