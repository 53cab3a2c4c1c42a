"""django_bolt: a high-throughput API framework for Django with a Go core.

    from django_bolt import BoltAPI

    api = BoltAPI()

    @api.get("/")
    async def root():
        return {"Hello": "World"}

Serve it with ``python manage.py runbolt``.
"""

from __future__ import annotations

from pathlib import Path

# The one version string: the distribution's metadata reads it from here (pyproject.toml),
# and `manage.py runbolt --version` prints it.
__version__ = "0.1.0"

from .api import BoltAPI
from .auth import (
    AllowAny,
    APIKeyAuthentication,
    AuthContext,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
    SessionAuthentication,
    Token,
    create_jwt_for_user,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
)
from .compression import CompressionConfig
from .cookies import Cookie
from .params import Depends
# Middleware, MiddlewareConfig and MiddlewareGroup are importable from here, as in the
# original, without being part of __all__.
from .middleware import (
    BaseMiddleware,
    CORSMiddleware,
    DjangoMiddleware,
    ErrorHandlerMiddleware,
    LoggingMiddleware,
    Middleware,
    MiddlewareConfig,
    MiddlewareGroup,
    MiddlewareProtocol,
    RateLimitMiddleware,
    TimingMiddleware,
    cors,
    middleware,
    no_compress,
    rate_limit,
    skip_middleware,
)
from .openapi import (
    JsonRenderPlugin,
    OpenAPIConfig,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)
from .datastructures import UploadFile
from .enums import FileSize, MediaType
from .responses import JSON, Response, StreamingResponse
from .request import Request, RequestProtocol
from .pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    PaginationBase,
    paginate,
)
from .router import APIRouter, Router
from .views import (
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
    action,
)
from .websocket import (
    CloseCode,
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketException,
    WebSocketState,
)

default_app_config = "django_bolt.apps.DjangoBoltConfig"

__all__ = [
    "BoltAPI",
    "Depends",
    "UploadFile",
    "FileSize",
    "MediaType",
    "Router",
    "APIRouter",
    "Request",
    "RequestProtocol",
    "Cookie",
    "APIView",
    "ViewSet",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListMixin",
    "RetrieveMixin",
    "CreateMixin",
    "UpdateMixin",
    "PartialUpdateMixin",
    "DestroyMixin",
    "action",
    "PaginationBase",
    "PageNumberPagination",
    "LimitOffsetPagination",
    "CursorPagination",
    "PaginatedResponse",
    "paginate",
    "Response",
    "JSON",
    "StreamingResponse",
    "CompressionConfig",
    "JWTAuthentication",
    "APIKeyAuthentication",
    "SessionAuthentication",
    "AuthContext",
    "AllowAny",
    "IsAuthenticated",
    "IsAdminUser",
    "IsStaff",
    "HasPermission",
    "HasAnyPermission",
    "HasAllPermissions",
    "middleware",
    "rate_limit",
    "cors",
    "skip_middleware",
    "no_compress",
    "CORSMiddleware",
    "RateLimitMiddleware",
    "MiddlewareProtocol",
    "BaseMiddleware",
    "TimingMiddleware",
    "LoggingMiddleware",
    "ErrorHandlerMiddleware",
    "DjangoMiddleware",
    "Token",
    "create_jwt_for_user",
    "get_current_user",
    "extract_user_id_from_context",
    "get_auth_context",
    "OpenAPIConfig",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
    "WebSocket",
    "WebSocketState",
    "CloseCode",
    "WebSocketException",
    "WebSocketDisconnect",
    "WebSocketClose",
]


def server_binary() -> Path:
    """Where the Go server binary lives (``DJANGO_BOLT_SERVER`` overrides it)."""
    import os

    override = os.environ.get("DJANGO_BOLT_SERVER")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "bin" / "bolt-server"
