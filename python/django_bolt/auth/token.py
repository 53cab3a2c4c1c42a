"""``Token``: the claims of a JSON Web Token as a dataclass, with encode/decode.

Issuing a token::

    token = Token.create(sub=str(user.pk), expires_delta=timedelta(hours=1),
                         permissions=["blog.add_post"])
    encoded = token.encode(secret)          # HS256 by default

Reading one back (the Go core does this on every request; Python needs it for
refresh endpoints and tests)::

    token = Token.decode(encoded, secret)

Times are whole seconds in UTC, as JWT ``NumericDate`` values are: naive
datetimes are taken as UTC and microseconds are dropped, so a token survives an
encode/decode round trip unchanged. Claims without a field of their own live in
``extras`` and are written last, so they can add any claim.

``is_admin`` is only what the token says: being staff does not make a caller
admin (``IsAdminUser`` and ``IsStaff`` are separate guards).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

__all__ = ["Token", "JWTToken"]

_TIME_CLAIMS = ("exp", "iat", "nbf")
# Fields Token.create() has no parameter for, so its keyword arguments set them.
_FIELDS_WITHOUT_PARAMETER = ("jti", "nbf", "is_superuser")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _to_utc_second(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0)


@dataclass
class Token:
    """The registered claims (``exp``, ``sub``, ``iat``...), a few for Bolt's guards, and ``extras``."""

    exp: datetime
    sub: str
    iat: datetime = field(default_factory=_now)
    iss: str | None = None
    aud: str | list[str] | None = None
    jti: str | None = None
    nbf: datetime | None = None
    is_staff: bool | None = None
    is_superuser: bool | None = None
    is_admin: bool | None = None
    permissions: list[str] | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.sub, str) or not self.sub:
            raise ValueError("sub (subject) must be a non-empty string")
        self._normalise_times()
        if self.exp <= _now():
            raise ValueError("exp (expiration) must be in the future")
        if self.iat > _now():
            raise ValueError("iat (issued at) must be current or past time")

    def _normalise_times(self) -> None:
        for name in _TIME_CLAIMS:
            value = getattr(self, name)
            if value is None and name == "nbf":
                continue
            if not isinstance(value, datetime):
                raise ValueError(f"{name} must be a datetime, not {value!r}")
            setattr(self, name, _to_utc_second(value))

    def to_dict(self) -> dict[str, Any]:
        """The claims as JSON values: times as Unix seconds, unset claims left out."""
        claims: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extras" or value is None:
                continue
            claims[f.name] = int(value.timestamp()) if isinstance(value, datetime) else value
        claims.update(self.extras)
        return claims

    def encode(self, secret: str | bytes, algorithm: str = "HS256", headers: dict[str, Any] | None = None) -> str:
        """Sign the claims; ``secret`` is the HMAC secret or the PEM private key."""
        try:
            return jwt.encode(self.to_dict(), secret, algorithm=algorithm, headers=headers)
        except (jwt.PyJWTError, ValueError, TypeError, NotImplementedError) as exc:
            raise ValueError(f"Failed to encode token: {exc}") from exc

    @classmethod
    def decode(
        cls,
        encoded: str | bytes,
        secret: str | bytes,
        algorithm: str = "HS256",
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
    ) -> Token:
        """Verify ``encoded`` and return its claims; any failure is a ValueError.

        ``secret`` is the HMAC secret or the PEM public key. A token carrying
        ``aud`` only decodes when ``audience`` matches it.
        """
        try:
            claims = jwt.decode(
                encoded,
                secret,
                algorithms=[algorithm],
                audience=audience,
                issuer=issuer,
                options={"verify_exp": verify_exp, "verify_nbf": verify_nbf, "require": ["exp", "sub"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise ValueError(f"Failed to decode token: {exc}") from exc
        return cls._from_claims(claims)

    @classmethod
    def _from_claims(cls, claims: dict[str, Any]) -> Token:
        # The signature was verified, and with verify_exp=False an expired token
        # is wanted on purpose, so the creation checks of __init__ must not run.
        values: dict[str, Any] = {"extras": {}}
        names = {f.name for f in fields(cls)} - {"extras"}
        for name, value in claims.items():
            if name in names:
                values[name] = value
            else:
                values["extras"][name] = value
        for name in _TIME_CLAIMS:
            if name in values:
                values[name] = datetime.fromtimestamp(values[name], timezone.utc)
        # Tokens from other issuers may omit iat; assume the usual one-hour life.
        values.setdefault("iat", values["exp"] - timedelta(hours=1))
        token = cls.__new__(cls)
        for f in fields(cls):
            setattr(token, f.name, values.get(f.name))
        token._normalise_times()
        return token

    @classmethod
    def create(
        cls,
        sub: str,
        expires_delta: timedelta = timedelta(hours=1),
        issuer: str | None = None,
        audience: str | list[str] | None = None,
        is_staff: bool = False,
        is_admin: bool = False,
        permissions: list[str] | None = None,
        **extra_claims: Any,
    ) -> Token:
        """A token for ``sub`` valid from now for ``expires_delta``.

        Extra keyword arguments naming a field (``jti``, ``nbf``,
        ``is_superuser``...) set it; any others become claims in ``extras``.
        """
        now = _now()
        known = {name: extra_claims.pop(name) for name in _FIELDS_WITHOUT_PARAMETER if name in extra_claims}
        return cls(
            exp=now + expires_delta,
            sub=sub,
            iat=now,
            iss=issuer,
            aud=audience,
            is_staff=is_staff,
            is_admin=is_admin,
            permissions=permissions,
            extras=extra_claims,
            **known,
        )


JWTToken = Token
