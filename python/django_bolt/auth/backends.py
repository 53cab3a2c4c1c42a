"""Authentication backends: who is calling, described for the Go core.

A backend does not authenticate anything in Python. It is a description that
``to_metadata()`` turns into a plain dict at start-up; the Go core reads that
dict and checks every request itself (signature, expiry, audience, API key),
then hands Python the outcome as the request's ``context`` dict::

    {"user_id": "42", "is_staff": False, "is_admin": False,
     "auth_backend": "jwt", "permissions": [...], "auth_claims": {...}}

``AuthContext.from_context()`` reads that dict. A route lists its backends with
``auth=[...]``; routes without it use ``settings.BOLT_AUTHENTICATION_CLASSES``.
The first backend that accepts the request wins; no backend accepting it only
matters when a guard (see ``guards``) requires authentication.

JWT signatures are checked with the secret (HMAC algorithms) or the PEM public
key (RSA, RSA-PSS, ECDSA, EdDSA) given here. One backend verifies one family:
use two backends to accept both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .revocation import RevocationStore, create_revocation_handler

__all__ = [
    "BaseAuthentication",
    "JWTAuthentication",
    "APIKeyAuthentication",
    "SessionAuthentication",
    "AuthContext",
    "get_default_authentication_classes",
    "HMAC_ALGORITHMS",
    "ASYMMETRIC_ALGORITHMS",
]

HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA",
)  # fmt: skip
_ALLOWED_ALGORITHMS = HMAC_ALGORITHMS + ASYMMETRIC_ALGORITHMS


class BaseAuthentication(ABC):
    """A way of recognising the caller that the Go core knows how to check."""

    @property
    @abstractmethod
    def scheme_name(self) -> str:
        """Short name of the scheme, e.g. ``"jwt"``."""

    @abstractmethod
    def to_metadata(self) -> dict[str, Any]:
        """The dict the Go core receives; ``"type"`` selects the checker."""


class JWTAuthentication(BaseAuthentication):
    """Bearer JSON Web Tokens read from a header (``Authorization: Bearer <token>``).

    ``secret`` is the HMAC secret, or for asymmetric algorithms the PEM public
    key; None means ``settings.SECRET_KEY``. ``audience``/``issuer``, when set,
    must match the token's ``aud``/``iss``. A ``revocation_store`` (or your own
    ``revoked_token_handler``: ``async (jti) -> bool``) refuses revoked tokens,
    and then every token must carry a ``jti``.

    ``secret_key=`` and ``algorithm="HS256"`` are accepted as spellings of
    ``secret=`` and ``algorithms=["HS256"]``.
    """

    def __init__(
        self,
        secret: str | None = None,
        algorithms: list[str] | None = None,
        header: str = "authorization",
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        revoked_token_handler: Callable[[str], Awaitable[bool]] | None = None,
        revocation_store: RevocationStore | None = None,
        require_jti: bool = False,
        *,
        secret_key: str | None = None,
        algorithm: str | None = None,
    ) -> None:
        if secret_key is not None:
            if secret is not None:
                raise TypeError("JWTAuthentication: pass secret= or secret_key=, not both")
            secret = secret_key
        if algorithm is not None:
            if algorithms is not None:
                raise TypeError("JWTAuthentication: pass algorithms= or algorithm=, not both")
            algorithms = [algorithm]

        self.algorithms = _check_algorithms(["HS256"] if algorithms is None else algorithms)
        self.secret = _check_secret(secret, asymmetric=self.algorithms[0] in ASYMMETRIC_ALGORITHMS)
        if not isinstance(header, str) or not header:
            raise ValueError(f"JWTAuthentication: header must be a header name, not {header!r}")
        self.header = header.lower()
        self.audience = audience
        self.issuer = issuer

        if revocation_store is not None and not isinstance(revocation_store, RevocationStore):
            raise TypeError(
                "JWTAuthentication: revocation_store must be a RevocationStore such as "
                f"InMemoryRevocation() or DjangoCacheRevocation(), not {revocation_store!r}"
            )
        if revoked_token_handler is not None and not callable(revoked_token_handler):
            raise TypeError(
                "JWTAuthentication: revoked_token_handler must be an async function "
                f"(jti) -> bool, not {revoked_token_handler!r}"
            )
        if revoked_token_handler is None and revocation_store is not None:
            revoked_token_handler = create_revocation_handler(revocation_store)
        self.revocation_store = revocation_store
        self.revoked_token_handler = revoked_token_handler
        # A token without a jti could never be found in a revocation list, so
        # revocation is only meaningful when every token has one.
        self.require_jti = bool(require_jti) or revoked_token_handler is not None

    @property
    def scheme_name(self) -> str:
        return "jwt"

    def to_metadata(self) -> dict[str, Any]:
        return {
            "type": "jwt",
            "secret": self.secret,
            "algorithms": list(self.algorithms),
            "header": self.header,
            "audience": self.audience,
            "issuer": self.issuer,
            "require_jti": self.require_jti,
            "has_revocation": self.revoked_token_handler is not None,
        }

    def __repr__(self) -> str:
        return f"JWTAuthentication(algorithms={self.algorithms!r}, header={self.header!r})"


class APIKeyAuthentication(BaseAuthentication):
    """Static API keys read from a header (``X-API-Key: <key>`` by default).

    ``key_permissions`` maps a key to the permission names it grants, which
    ``HasPermission`` guards then check. A request authenticated this way has
    the user id ``"apikey:<key>"``.
    """

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        header: str = "x-api-key",
        key_permissions: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        if isinstance(api_keys, str):
            raise TypeError(f"APIKeyAuthentication: api_keys takes a list of keys, e.g. [{api_keys!r}]")
        keys = [] if api_keys is None else list(api_keys)
        for key in keys:
            if not isinstance(key, str) or not key:
                raise ValueError(f"APIKeyAuthentication: every API key must be a non-empty string, not {key!r}")
        if not isinstance(header, str) or not header:
            raise ValueError(f"APIKeyAuthentication: header must be a header name, not {header!r}")
        permissions = {}
        for key, perms in (key_permissions or {}).items():
            if key not in keys:
                raise ValueError(f"APIKeyAuthentication: key_permissions names a key that is not in api_keys ({key!r})")
            if isinstance(perms, str):
                raise TypeError(
                    f"APIKeyAuthentication: key_permissions[...] takes a list of permission names, e.g. [{perms!r}]"
                )
            permissions[key] = list(perms)
        # Sets are accepted for api_keys; sorting keeps the metadata reproducible.
        self.api_keys = sorted(set(keys))
        self.header = header.lower()
        self.key_permissions = permissions

    @property
    def scheme_name(self) -> str:
        return "api_key"

    def to_metadata(self) -> dict[str, Any]:
        return {
            "type": "api_key",
            "api_keys": list(self.api_keys),
            "header": self.header,
            "key_permissions": {key: list(perms) for key, perms in self.key_permissions.items()},
        }

    def __repr__(self) -> str:
        # Never print the keys themselves.
        return f"APIKeyAuthentication({len(self.api_keys)} keys, header={self.header!r})"


class SessionAuthentication(BaseAuthentication):
    """Django session cookies - not supported; constructing one says so.

    The Go core cannot read Django's session store, so a session backend
    would never recognise anyone; failing loudly beats a route that silently
    treats every caller as anonymous.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> SessionAuthentication:
        raise ImproperlyConfigured(
            "SessionAuthentication is not supported: the API server cannot read "
            "Django sessions. Use JWTAuthentication (e.g. issue a token with "
            "create_jwt_for_user() at login) or APIKeyAuthentication instead."
        )


@dataclass
class AuthContext:
    """The outcome of authentication for one request, as Python sees it."""

    user_id: str | None = None
    is_staff: bool = False
    is_admin: bool = False
    backend: str = "none"
    claims: dict[str, Any] | None = None
    permissions: list[str] | None = None

    @classmethod
    def from_context(cls, context: Mapping[str, Any] | None) -> AuthContext:
        """Read the request's ``context`` dict; None (no authentication) is empty."""
        if not context:
            return cls()
        permissions = context.get("permissions")
        return cls(
            user_id=context.get("user_id"),
            is_staff=bool(context.get("is_staff", False)),
            is_admin=bool(context.get("is_admin", False)),
            backend=context.get("auth_backend") or "none",
            claims=context.get("auth_claims"),
            permissions=None if permissions is None else list(permissions),
        )

    @property
    def is_superuser(self) -> bool:
        """The original's later name for ``is_admin``."""
        return self.is_admin


def get_default_authentication_classes() -> list[BaseAuthentication]:
    """``settings.BOLT_AUTHENTICATION_CLASSES`` (backend instances), or ``[]``."""
    backends = getattr(settings, "BOLT_AUTHENTICATION_CLASSES", None) or []
    if not isinstance(backends, (list, tuple)) or not all(
        isinstance(backend, BaseAuthentication) for backend in backends
    ):
        raise ImproperlyConfigured(
            "BOLT_AUTHENTICATION_CLASSES must be a list of backend instances, e.g. "
            "[JWTAuthentication(secret=...)], not "
            f"{backends!r}"
        )
    return list(backends)


def _check_algorithms(algorithms: Any) -> list[str]:
    if isinstance(algorithms, str):
        # A bare string would be iterated letter by letter; say what to write.
        raise TypeError(
            f"JWTAuthentication: algorithms takes a list, e.g. algorithms=[{algorithms!r}] or algorithm={algorithms!r}"
        )
    algorithms = list(algorithms)
    if not algorithms:
        raise ValueError("JWTAuthentication: algorithms must name at least one algorithm")
    for name in algorithms:
        if name not in _ALLOWED_ALGORITHMS:
            raise ValueError(
                f"JWTAuthentication: unsupported algorithm {name!r}; allowed: {', '.join(_ALLOWED_ALGORITHMS)}"
            )
    families = {name in HMAC_ALGORITHMS for name in algorithms}
    if len(families) > 1:
        raise ValueError(
            f"JWTAuthentication: algorithms {algorithms!r} mix HMAC (HS*) and "
            "public-key algorithms, which need different keys; use one "
            "JWTAuthentication per family"
        )
    return algorithms


def _check_secret(secret: Any, *, asymmetric: bool) -> str:
    if asymmetric:
        if not isinstance(secret, str) or "-----BEGIN" not in secret:
            raise ValueError(
                "JWTAuthentication: public-key algorithms verify with a PEM public key; "
                "pass secret='-----BEGIN PUBLIC KEY-----...' (the key as a string)"
            )
        return secret
    if secret is None:
        try:
            # Django itself refuses to hand out an empty SECRET_KEY.
            secret = settings.SECRET_KEY
        except ImproperlyConfigured as exc:
            raise ImproperlyConfigured(
                f"JWTAuthentication needs a secret ({exc}): set SECRET_KEY in "
                "settings or pass JWTAuthentication(secret=...)"
            ) from exc
    if not isinstance(secret, str) or not secret:
        raise ValueError(f"JWTAuthentication: secret must be a non-empty string, not {type(secret).__name__}")
    return secret
