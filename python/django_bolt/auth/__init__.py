"""Authentication and authorization, described in Python and enforced by the Go core.

A route says who may call it with two lists::

    from django_bolt.auth import JWTAuthentication, IsAuthenticated, HasPermission

    @api.get("/posts", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def posts(request): ...

* ``backends`` - how callers are recognised (JWT, API keys);
* ``guards`` - the conditions a recognised caller must meet;
* ``token`` / ``jwt_utils`` - issuing and reading JWTs, finding the Django user;
* ``revocation`` - ending tokens before they expire.

``cors`` and ``rate_limit`` (from ``django_bolt.middleware``) are re-exported
here because route security is usually configured in one place.
"""

from ..middleware.decorators import cors, rate_limit
from .backends import (
    APIKeyAuthentication,
    AuthContext,
    BaseAuthentication,
    JWTAuthentication,
    SessionAuthentication,
    get_default_authentication_classes,
)
from .guards import (
    AllowAny,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    get_default_permission_classes,
)
from .jwt_utils import create_jwt_for_user, extract_user_id_from_context, get_auth_context, get_current_user
from .revocation import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    RevocationStore,
    create_revocation_handler,
)
from .token import JWTToken, Token
from .user_loader import get_registered_backend, load_user, register_auth_backend

__all__ = [
    "BaseAuthentication",
    "JWTAuthentication",
    "APIKeyAuthentication",
    "SessionAuthentication",
    "AuthContext",
    "get_default_authentication_classes",
    "BasePermission",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "get_default_permission_classes",
    "Token",
    "JWTToken",
    "create_jwt_for_user",
    "get_current_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "RevocationStore",
    "InMemoryRevocation",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "create_revocation_handler",
    "cors",
    "rate_limit",
    "register_auth_backend",
    "get_registered_backend",
    "load_user",
]
