"""The route table: what the Go core builds its router, middleware and server from.

Each Struct here has a Go twin with the same msgpack keys (``server.Table``,
``server.RouteSpec``, ``middleware.RouteConfig``, ``server.Settings``...);
``boot.load`` encodes a ``Table`` with msgpack and the core decodes it strictly: a key
Go does not know stops start-up with the key named. Building a Struct with a key it
does not declare is a ``TypeError`` here already, and converting a compiled mapping
(a route's security, the server settings) into its Struct is a
``msgspec.ValidationError`` naming the key.

The optional fields of a part default to ``None`` and are left out when ``None``: Go
reads a missing key and a nil alike, as its zero value, so the document means what the
compilers produced.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "RouteSpec", "WebSocketSpec", "SiteSpec", "Table", "RouteConfig", "MiddlewareConfig",
    "AuthBackendConfig", "GuardConfig", "GlobalConfig", "CompressionConfig", "Settings",
    "StaticConfig", "StaticDir", "DocsAssets", "FileLimit", "AccessLogPolicy",
]


class _Part(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """A table part: unknown keys refused when converted, defaults left out."""


class MiddlewareConfig(_Part, kw_only=True):
    """One middleware the Go core runs for a route (middleware.MiddlewareConfig);
    ``type`` selects the fields that apply: "cors" or "rate_limit"."""

    type: str
    origins: list[str] | None = None
    methods: list[str] | None = None
    headers: list[str] | None = None
    credentials: bool | None = None
    max_age: int | None = None
    expose_headers: list[str] | None = None
    origin_regexes: list[str] | None = None
    rps: float | None = None
    burst: int | None = None
    key: str | None = None


class AuthBackendConfig(_Part, kw_only=True):
    """One authentication backend (middleware.AuthBackendConfig): "jwt" or "api_key"."""

    type: str
    header: str | None = None
    secret: str | None = None
    algorithms: list[str] | None = None
    audience: str | list[str] | None = None
    issuer: str | None = None
    require_jti: bool | None = None
    has_revocation: bool | None = None
    api_keys: list[str] | None = None
    key_permissions: dict[str, list[str]] | None = None


class GuardConfig(_Part, kw_only=True):
    """One guard the Go core checks (middleware.GuardConfig)."""

    type: str
    permission: str | None = None
    permissions: list[str] | None = None


class RouteConfig(_Part, kw_only=True):
    """A route's security in Go (middleware.RouteConfig), from ``RouteSecurity.native``."""

    route: str | None = None
    middleware: list[MiddlewareConfig] | None = None
    skip: list[str] | None = None
    auth_backends: list[AuthBackendConfig] | None = None
    guards: list[GuardConfig] | None = None


class CompressionConfig(_Part, kw_only=True):
    """Response compression (middleware.CompressionConfig): every field is sent."""

    backend: str
    minimum_size: int
    gzip_compress_level: int
    brotli_quality: int
    brotli_lgwin: int
    zstd_level: int
    gzip_fallback: bool


class GlobalConfig(_Part, kw_only=True):
    """What every route shares (middleware.GlobalConfig)."""

    cors_allowed_origins: list[str] | None = None
    cors: MiddlewareConfig | None = None  # the CORS_* policy, None: none configured
    trusted_proxies: list[str] | None = None
    rate_limit_backend: str | None = None  # None or "": in-process buckets
    compression: CompressionConfig | None = None  # None: compression off


class Settings(_Part, kw_only=True):
    """The server settings (server.Settings): django_bolt.conf's, DEBUG and the hosts."""

    debug: bool
    max_upload_size: int
    memory_spool_threshold: int
    max_header_size: int
    max_header_bytes: int
    max_header_count: int
    read_timeout: float
    write_timeout: float
    keep_alive: float
    max_connections: int
    max_pending: int
    shutdown_timeout: float
    backlog: int
    access_log: str
    access_log_sample: float
    access_log_slow_ms: int
    request_id: bool
    metrics: bool
    metrics_path: str
    allowed_hosts: list[str]
    ws_max_connections: int
    ws_channel_size: int
    ws_heartbeat_interval: float
    ws_client_timeout: float
    ws_max_message_size: int


class StaticDir(_Part, kw_only=True):
    """One directory served below the static URL (server.StaticDir)."""

    prefix: str
    root: str


class StaticConfig(_Part, kw_only=True):
    """The static files Go serves (server.StaticConfig)."""

    url_prefix: str
    directories: list[StaticDir]
    csp_header: str | None = None


class DocsAssets(_Part, kw_only=True):
    """The docs UIs' files Go serves (server.DocsAssets)."""

    url_prefix: str
    root: str
    files: list[str]


class FileLimit(_Part, kw_only=True):
    """A ``File()`` parameter's limits, checked by the server on every multipart body
    (server.FileLimit)."""

    field: str
    max_size: int | None = None
    min_size: int | None = None
    allowed_types: list[str] | None = None
    max_files: int | None = None


class AccessLogPolicy(_Part, kw_only=True):
    """An API's ``LoggingConfig`` policy for the access log (server.AccessLogPolicy)."""

    skip_paths: list[str]
    skip_status_codes: list[int]
    sample_rate: float | None  # None: BOLT_ACCESS_LOG_SAMPLE
    min_duration_ms: float | None  # None: BOLT_ACCESS_LOG_SLOW_MS
    query: bool
    user_agent: bool
    level: str
    error_level: str


class RouteSpec(msgspec.Struct, kw_only=True):
    """One HTTP route (server.RouteSpec)."""

    method: str
    path: str
    handler_id: int
    needs: list[str]  # the request parts its binding plan reads
    security: RouteConfig | None  # None: nothing in Go
    uploads: list[FileLimit]  # File() limits the server checks before Python
    name: str  # the handler's dotted name, for errors
    access_log: AccessLogPolicy | None  # the API's LoggingConfig policy


class WebSocketSpec(msgspec.Struct, kw_only=True):
    """One WebSocket route (server.WebSocketSpec)."""

    path: str
    handler_id: int
    needs: list[str]
    security: RouteConfig | None
    name: str


class SiteSpec(msgspec.Struct, kw_only=True):
    """The Django site served beside the API (server.SiteSpec)."""

    route: RouteSpec  # the handler running Django's ASGI application
    exact: list[str]
    prefixes: list[str]


class Table(msgspec.Struct, kw_only=True):
    """The whole table (server.Table)."""

    routes: list[RouteSpec]
    websockets: list[WebSocketSpec]
    global_: GlobalConfig = msgspec.field(name="global")
    settings: Settings
    static: StaticConfig | None  # None: no static files
    site: SiteSpec | None  # None: only the API (and the admin) is served
    docs_assets: DocsAssets | None  # None: no API docs UI
