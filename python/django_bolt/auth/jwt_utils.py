"""Glue between Django users and JWTs: issue a token at login, find the user later.

A login endpoint checks the password the Django way and hands out a token::

    user = await aauthenticate(username=..., password=...)
    return {"access": create_jwt_for_user(user, exp_hours=24)}

Routes protected by ``JWTAuthentication`` then receive the verified claims in
the request's ``context``; ``get_current_user(request)`` turns its user id back
into the user object (one database query; skip it when the id is enough).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, ValidationError

from .token import Token

__all__ = ["create_jwt_for_user", "get_current_user", "extract_user_id_from_context", "get_auth_context"]


def create_jwt_for_user(
    user: Any,
    secret: str | None = None,
    algorithm: str = "HS256",
    expires_in: int = 3600,
    extra_claims: dict[str, Any] | None = None,
    *,
    exp_hours: float | None = None,
) -> str:
    """A signed token naming ``user`` (``sub`` is its primary key as a string).

    It carries ``is_staff``, ``is_superuser`` and ``username``, plus ``email``,
    ``first_name`` and ``last_name`` when set; ``extra_claims`` are added last
    and may replace any of them. The lifetime is ``expires_in`` seconds, or
    ``exp_hours`` hours when given. ``secret`` defaults to ``settings.SECRET_KEY``.
    """
    if secret is None:
        try:
            secret = settings.SECRET_KEY
        except ImproperlyConfigured as exc:
            raise ImproperlyConfigured(
                f"create_jwt_for_user() needs a secret ({exc}): set SECRET_KEY in settings or pass secret=..."
            ) from exc
    lifetime = timedelta(hours=exp_hours) if exp_hours is not None else timedelta(seconds=expires_in)
    claims: dict[str, Any] = {"username": user.get_username()}
    for name in ("email", "first_name", "last_name"):
        value = getattr(user, name, None)
        if value:
            claims[name] = value
    claims.update(extra_claims or {})
    now = datetime.now(timezone.utc)
    token = Token(
        exp=now + lifetime,
        sub=str(user.pk),
        iat=now,
        # Custom user models need not have these flags; absent means not granted.
        is_staff=bool(getattr(user, "is_staff", False)),
        is_superuser=bool(getattr(user, "is_superuser", False)),
        extras=claims,
    )
    return token.encode(secret, algorithm=algorithm)


def get_auth_context(request: Any) -> dict[str, Any]:
    """The request's authentication context dict; empty when nobody authenticated."""
    return request.get("context") or {}


def extract_user_id_from_context(request: Any) -> str | None:
    """The authenticated user id (``sub`` of a JWT, ``apikey:<key>`` for API keys), or None."""
    return get_auth_context(request).get("user_id")


async def get_current_user(request: Any) -> Any:
    """The Django user the request authenticated as, or None.

    None when nobody authenticated, when the id is not a user's primary key
    (API-key callers are ``apikey:...``), or when the user no longer exists.
    """
    user_id = extract_user_id_from_context(request)
    if user_id is None:
        return None
    User = get_user_model()
    try:
        return await User.objects.aget(pk=user_id)
    # ValueError/ValidationError: the id cannot be a primary key of this model.
    except (User.DoesNotExist, ValueError, TypeError, ValidationError):
        return None
