"""Middleware: CORS and rate limiting run by the Go core, and your own in Python.

* ``decorators`` - per-route ``@cors``, ``@rate_limit``, ``@middleware``,
  ``@skip_middleware``, ``@no_compress``;
* ``middleware`` - middleware objects (``CORSMiddleware``,
  ``RateLimitMiddleware``, the ``Middleware`` base class, groups and configs);
* ``compiler`` - turns a route's configuration into what the server runs.
"""

from .compiler import (
    RouteSecurity,
    compile_middleware_meta,
    compile_route_security,
    global_security_config,
    middleware_to_dict,
)
from .decorators import cors, middleware, no_compress, rate_limit, skip_middleware
from .middleware import (
    CORSMiddleware,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
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
