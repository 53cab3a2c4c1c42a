"""Turning the authenticated user id back into a user object, for ``request.user``.

The Go core authenticates a request and hands Python a context with ``user_id`` and
``auth_backend`` (``"jwt"`` or ``"api_key"``). The backend that authenticated the request
decides how that id becomes a user:

* ``get_user_sync(user_id)`` on the backend, if it has one;
* else ``async get_user(user_id, auth_context)``;
* else the Django user model's row with that primary key.

Every backend a route uses is registered here by its scheme name when the route is
compiled, so a subclass such as::

    class TenantJWT(JWTAuthentication):
        def get_user_sync(self, user_id):
            return Tenant.objects.get(uuid=user_id)

is what loads users for the routes that list it. The last backend registered for a
scheme wins. A user id that names no row (or cannot be a primary key, like an API-key
caller's ``apikey:...``) loads as ``None``.
"""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["register_auth_backend", "get_registered_backend", "load_user", "load_user_sync"]

_backends: dict[str, Any] = {}
_executor: ThreadPoolExecutor | None = None


def register_auth_backend(scheme: str, backend: Any) -> None:
    """Use ``backend`` to load the users of requests it authenticated (``scheme``: ``"jwt"``...)."""
    _backends[scheme] = backend


def get_registered_backend(scheme: str | None) -> Any:
    """The backend registered for ``scheme``, or None."""
    return _backends.get(scheme) if scheme else None


def _model_user(user_id: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError

    User = get_user_model()
    try:
        return User.objects.get(pk=user_id)
    # ValueError/ValidationError: the id cannot be a primary key of this model.
    except (User.DoesNotExist, ValueError, TypeError, ValidationError):
        return None


def _load_blocking(user_id: Any, context: dict[str, Any]) -> Any:
    backend = get_registered_backend(context.get("auth_backend"))
    if hasattr(backend, "get_user_sync"):
        return backend.get_user_sync(user_id)
    if hasattr(backend, "get_user"):
        result = backend.get_user(user_id, context)
        return asyncio.run(result) if inspect.isawaitable(result) else result
    return _model_user(user_id)


def load_user_sync(user_id: Any, context: dict[str, Any]) -> Any:
    """Load the user now. Called from an event loop's thread, the query runs on a worker
    thread (Django forbids the ORM inside a running loop) and this thread waits for it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _load_blocking(user_id, context)
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bolt-user-loader")
    return _executor.submit(_load_blocking, user_id, context).result()


async def load_user(user_id: Any, context: dict[str, Any] | None = None) -> Any:
    """Load the user without blocking the event loop."""
    from asgiref.sync import sync_to_async

    context = context or {}
    backend = get_registered_backend(context.get("auth_backend"))
    if not hasattr(backend, "get_user_sync") and hasattr(backend, "get_user"):
        result = backend.get_user(user_id, context)
        return await result if inspect.isawaitable(result) else result
    return await sync_to_async(_load_blocking, thread_sensitive=True)(user_id, context)
