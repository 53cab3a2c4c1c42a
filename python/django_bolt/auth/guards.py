"""Guards (permission classes): who may call a route, once we know who is calling.

A route lists guards with ``guards=[...]``; all of them must pass, otherwise the
request is refused (401 when nobody is authenticated, 403 otherwise). Routes
without ``guards=`` use ``settings.BOLT_DEFAULT_PERMISSION_CLASSES``, and
``[AllowAny()]`` when that is unset. Instances and classes are both accepted
(``IsAuthenticated`` means ``IsAuthenticated()``).

The built-in guards below are rules the Go core knows: ``to_metadata()``
describes them and Go checks them before Python is involved. Their
``has_permission()`` states the same rule in Python, for tests and for code
that wants to ask the question itself; one table of cases
(``middleware/testdata/guard_cases.json``) runs through both and requires the
same answers. The rule: a caller is authenticated when a backend recognised
it (the context names its ``auth_backend``); ``IsAuthenticated`` also needs a
``user_id``, the other guards only the flag or permission they check. No
context (``None``) is nobody.

Your own guard subclasses ``BasePermission`` and implements
``has_permission(request)``, sync or async; it runs in Python after the
built-in guards passed, and a falsy answer refuses the request with 403::

    class IsOwner(BasePermission):
        guard_name = "is_owner"

        async def has_permission(self, request):
            return request.params.get("user_id") == request.context["user_id"]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .backends import AuthContext

__all__ = [
    "BasePermission",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "get_default_permission_classes",
    "is_native_guard",
]


class BasePermission(ABC):
    """A condition on the caller that a route requires."""

    @property
    @abstractmethod
    def guard_name(self) -> str:
        """Short name of the rule, e.g. ``"is_authenticated"``."""

    def to_metadata(self) -> dict[str, Any]:
        return {"type": self.guard_name}

    def has_permission(self, request: Any) -> Any:
        """True (or an awaitable of True) to let the request through."""
        return True


class AllowAny(BasePermission):
    """Everyone, authenticated or not."""

    guard_name = "allow_any"


class IsAuthenticated(BasePermission):
    """Any caller a backend recognised."""

    guard_name = "is_authenticated"

    def has_permission(self, request: Any) -> bool:
        return _context_of(request).user_id is not None


class IsAdminUser(BasePermission):
    """Authenticated callers whose token or key marks them as admin (superuser)."""

    guard_name = "is_admin"

    def has_permission(self, request: Any) -> bool:
        context = _context_of(request)
        return _authenticated(context) and context.is_admin


class IsStaff(BasePermission):
    """Authenticated callers marked as staff."""

    guard_name = "is_staff"

    def has_permission(self, request: Any) -> bool:
        context = _context_of(request)
        return _authenticated(context) and context.is_staff


class HasPermission(BasePermission):
    """Authenticated callers granted ``permission`` (a name such as ``"blog.add_post"``)."""

    guard_name = "has_permission"

    def __init__(self, permission: str) -> None:
        _check_permission_names("HasPermission", [permission])
        self.permission = permission

    def to_metadata(self) -> dict[str, Any]:
        return {"type": self.guard_name, "permission": self.permission}

    def has_permission(self, request: Any) -> bool:
        context = _context_of(request)
        return _authenticated(context) and self.permission in (context.permissions or ())


class HasAnyPermission(BasePermission):
    """Authenticated callers granted at least one of ``permissions``."""

    guard_name = "has_any_permission"

    def __init__(self, *permissions: str) -> None:
        _check_permission_names("HasAnyPermission", permissions)
        self.permissions = list(permissions)

    def to_metadata(self) -> dict[str, Any]:
        return {"type": self.guard_name, "permissions": list(self.permissions)}

    def has_permission(self, request: Any) -> bool:
        context = _context_of(request)
        granted = set(context.permissions or ())
        return _authenticated(context) and any(p in granted for p in self.permissions)


class HasAllPermissions(BasePermission):
    """Authenticated callers granted every one of ``permissions``."""

    guard_name = "has_all_permissions"

    def __init__(self, *permissions: str) -> None:
        _check_permission_names("HasAllPermissions", permissions)
        self.permissions = list(permissions)

    def to_metadata(self) -> dict[str, Any]:
        return {"type": self.guard_name, "permissions": list(self.permissions)}

    def has_permission(self, request: Any) -> bool:
        context = _context_of(request)
        granted = set(context.permissions or ())
        return _authenticated(context) and all(p in granted for p in self.permissions)


_NATIVE_GUARDS = (AllowAny, IsAuthenticated, IsAdminUser, IsStaff, HasPermission, HasAnyPermission, HasAllPermissions)


def is_native_guard(guard: BasePermission) -> bool:
    """True when the Go core can check ``guard`` itself.

    That is a built-in guard, or a subclass that keeps the built-in rule: a
    subclass overriding ``has_permission`` or ``to_metadata`` says something Go
    does not know, so it runs in Python.
    """
    for native in _NATIVE_GUARDS:
        if isinstance(guard, native):
            cls = type(guard)
            return cls.has_permission is native.has_permission and cls.to_metadata is native.to_metadata
    return False


def get_default_permission_classes() -> list[BasePermission]:
    """``settings.BOLT_DEFAULT_PERMISSION_CLASSES`` as instances, or ``[AllowAny()]``."""
    guards = getattr(settings, "BOLT_DEFAULT_PERMISSION_CLASSES", None) or [AllowAny()]
    if not isinstance(guards, (list, tuple)):
        raise ImproperlyConfigured(
            f"BOLT_DEFAULT_PERMISSION_CLASSES must be a list of guards, e.g. [IsAuthenticated()], not {guards!r}"
        )
    instances = []
    for guard in guards:
        if isinstance(guard, type) and issubclass(guard, BasePermission):
            guard = guard()
        if not isinstance(guard, BasePermission):
            raise ImproperlyConfigured(
                "BOLT_DEFAULT_PERMISSION_CLASSES must hold BasePermission instances "
                f"or classes (e.g. IsAuthenticated()), not {guard!r}"
            )
        instances.append(guard)
    return instances


def _authenticated(context: AuthContext) -> bool:
    """A backend recognised the caller (with or without a user id)."""
    return context.backend != "none"


def _context_of(request: Any) -> AuthContext:
    """The AuthContext of a request, a request's context dict, or an AuthContext;
    None is nobody."""
    if request is None:
        return AuthContext()
    if isinstance(request, AuthContext):
        return request
    if isinstance(request, Mapping) and "context" not in request:
        return AuthContext.from_context(request)
    return AuthContext.from_context(request.get("context"))


def _check_permission_names(guard: str, permissions: Any) -> None:
    if not permissions:
        raise ValueError(f"{guard}() needs at least one permission name, e.g. {guard}('blog.add_post')")
    for permission in permissions:
        if not isinstance(permission, str) or not permission:
            raise ValueError(
                f"{guard}(): permission names are non-empty strings such as 'blog.add_post', not {permission!r}"
            )
